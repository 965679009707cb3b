package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MasterKey interprets v as the gateway's master key: either the key itself
// as a plain string, or a JSON object whose "master_key" member holds it (the
// shape a secret generated with a JSON template has). Surrounding whitespace
// is dropped. The result carries v's ARN and version.
func MasterKey(v Value) (Value, error) {
	s := strings.TrimSpace(v.s)
	if strings.HasPrefix(s, "{") {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			return Value{}, fmt.Errorf("secret %s: master key: %w", v.arn, jsonProblem(err))
		}
		raw, ok := doc["master_key"]
		if !ok {
			return Value{}, fmt.Errorf(`secret %s: master key: the JSON object has no "master_key" member`, v.arn)
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return Value{}, fmt.Errorf(`secret %s: master key: "master_key" is not a string`, v.arn)
		}
		s = strings.TrimSpace(s)
	}
	if s == "" {
		return Value{}, fmt.Errorf("secret %s: master key is empty", v.arn)
	}
	return Value{arn: v.arn, version: v.version, s: s}, nil
}

// Env interprets v as provider keys: a JSON object of environment variable
// name to string value, such as {"OPENAI_API_KEY": "sk-...",
// "AZURE_API_KEY": "..."}. It returns a lookup with os.LookupEnv's shape;
// the values never enter the process environment. An empty value counts as
// not set, so a secret can list every name before the operator fills them
// in without hiding the names from other sources.
func Env(v Value) (func(name string) (string, bool), error) {
	var doc map[string]json.RawMessage
	const shape = "provider keys must be a JSON object of variable name to value"
	if err := json.Unmarshal([]byte(v.s), &doc); err != nil {
		return nil, fmt.Errorf("secret %s: %s: %w", v.arn, shape, jsonProblem(err))
	}
	if doc == nil {
		return nil, fmt.Errorf("secret %s: %s: null is not an object", v.arn, shape)
	}
	vars := make(map[string]string, len(doc))
	for name, raw := range doc {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return nil, fmt.Errorf("secret %s: provider keys: %q is not a variable name", v.arn, name)
		}
		var s string
		if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) || json.Unmarshal(raw, &s) != nil {
			return nil, fmt.Errorf("secret %s: provider keys: the value of %s is not a string", v.arn, name)
		}
		if s != "" {
			vars[name] = s
		}
	}
	return func(name string) (string, bool) {
		s, ok := vars[name]
		return s, ok
	}, nil
}

// jsonProblem describes a JSON error without quoting the secret: the
// decoder's own messages can include a character of the input.
func jsonProblem(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("a JSON %s where an object was expected", te.Value)
	}
	return errors.New("invalid JSON")
}
