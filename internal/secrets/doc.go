// Package secrets reads secrets from AWS Secrets Manager for the running
// gateway: the master key, the provider API keys and the origin secret the
// CloudFront front sends.
//
// A Cache fetches each secret by ARN with GetSecretValue (through Caller,
// which an *awscall.Client of Secrets Manager satisfies) and keeps it
// for a TTL, five minutes unless told otherwise. It has no goroutine of its
// own, because Lambda freezes the container between invocations: a value is
// refreshed lazily, by the first Get after it expires, and only one fetch per
// ARN is in flight at a time. Callers that arrive while a refresh is under
// way get the previous value at once; callers that arrive before the first
// fetch has finished wait for it. When a refresh fails the previous value
// keeps being served, the failure is logged, and the next attempt comes
// after a short back-off, so a Secrets Manager outage does not take the
// gateway down with it.
//
// Values are Value, which prints itself as "[redacted]" through fmt, slog
// and encoding/json; Reveal is the one way to read one. Errors name the
// secret's ARN and never its value, not even a fragment of it: parse errors
// give a byte offset or a JSON member name instead of the text around them.
//
// MasterKey and Env interpret the two secret shapes the deployment uses: a
// master key (a plain string, or a JSON object with a "master_key" member)
// and provider keys (a JSON object of environment variable name to value,
// consulted by os.environ/NAME references and the catalog's default key
// variables without ever being put into the process environment).
package secrets
