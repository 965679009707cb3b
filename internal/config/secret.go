package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// redacted is what a set Secret prints instead of its value. It reveals
// nothing, not even a prefix or suffix: key fragments in logs are how keys
// get matched and leaked.
const redacted = "[redacted]"

// Secret holds a credential from the config (api_key, master_key, AWS keys,
// Redis passwords). Every way of printing it (fmt, slog, JSON, YAML) shows
// "[redacted]"; Reveal is the one way to read the value.
type Secret struct {
	value string
	env   string
}

// NewSecret wraps a literal value, e.g. one read from Secrets Manager.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the value. Call it only where the credential is sent.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether a non-empty value is present.
func (s Secret) IsSet() bool { return s.value != "" }

// EnvVar names the environment variable the value came from
// (os.environ/NAME), or "" when it was written in the file.
func (s Secret) EnvVar() string { return s.env }

// String prints "[redacted]" when set and "" when empty.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the struct fields.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// Format implements fmt.Formatter so that no verb (%d, %x, %+v, ...) can
// reach the value through the struct's fields.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML implements yaml.Marshaler (go.yaml.in/yaml/v3).
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

var (
	_ slog.LogValuer = Secret{}
	_ json.Marshaler = Secret{}
	_ fmt.Formatter  = Secret{}
)
