package secrets

// NewValue wraps s as the current version of the secret arn, for the
// tests (the Cache builds Values itself).
func NewValue(arn, version, s string) Value { return Value{arn: arn, version: version, s: s} }
