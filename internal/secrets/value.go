package secrets

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// redacted is what a Value prints instead of its content. It shows nothing,
// not even a prefix: key fragments in logs are how keys get matched and
// leaked.
const redacted = "[redacted]"

// Value is a secret read from Secrets Manager. Every way of printing it
// (fmt with any verb, slog, encoding/json, encoding.TextMarshaler) shows
// "[redacted]"; Reveal is the one way to read the content.
type Value struct {
	arn     string
	version string
	s       string
}

// Reveal returns the secret's content. Call it only where the secret is
// used (sent upstream, compared).
func (v Value) Reveal() string { return v.s }

// ARN names the secret the value came from; it is safe to log.
func (v Value) ARN() string { return v.arn }

// Version is the Secrets Manager version id of the value; it is safe to log.
func (v Value) Version() string { return v.version }

// IsSet reports whether the value holds anything.
func (v Value) IsSet() bool { return v.s != "" }

// Equal reports whether two values hold the same content. The version is not
// compared: a rotation that writes the same content changes nothing.
func (v Value) Equal(o Value) bool { return v.s == o.s }

// String prints "[redacted]" when set and "" when empty.
func (v Value) String() string {
	if v.s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the struct fields.
func (v Value) GoString() string { return `secrets.Value("` + v.String() + `")` }

// Format implements fmt.Formatter so that no verb (%d, %x, %q, %+v, ...)
// can reach the content through the struct's fields.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, v.GoString())
		return
	}
	_, _ = io.WriteString(f, v.String())
}

// LogValue implements slog.LogValuer.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.String()) }

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.String()) }

// MarshalText implements encoding.TextMarshaler, which slog's text handler
// and several encoders consult.
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

var (
	_ slog.LogValuer = Value{}
	_ json.Marshaler = Value{}
	_ fmt.Formatter  = Value{}
	_ fmt.GoStringer = Value{}
)
