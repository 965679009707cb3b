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

// PreviousMasterKey returns the key a master-key rotation keeps accepting:
// the "previous_master_key" member of a JSON-shaped master key secret
// (`make -C infra rotate-master-key` writes it, `end-master-key-rotation`
// removes it). Empty when there is none; a plain-string secret has none.
func PreviousMasterKey(v Value) (string, error) {
	return member(v, "master key", "previous_master_key")
}

// OriginSecrets interprets v as the CloudFront origin secret: a JSON object
// whose "current" member CloudFront sends and whose "previous" member, during
// a rotation, is accepted too; or a plain string (the current value alone).
// It returns the values to accept, current first.
func OriginSecrets(v Value) ([]string, error) {
	s := strings.TrimSpace(v.s)
	if !strings.HasPrefix(s, "{") {
		if s == "" {
			return nil, fmt.Errorf("secret %s: origin secret is empty", v.arn)
		}
		return []string{s}, nil
	}
	cur, err := member(v, "origin secret", "current")
	if err != nil {
		return nil, err
	}
	if cur == "" {
		return nil, fmt.Errorf(`secret %s: origin secret: "current" is empty`, v.arn)
	}
	prev, err := member(v, "origin secret", "previous")
	if err != nil || prev == "" {
		return []string{cur}, err
	}
	return []string{cur, prev}, nil
}

// member returns the string member name of v's JSON object ("" when v is
// not an object or has no such member).
func member(v Value, what, name string) (string, error) {
	s := strings.TrimSpace(v.s)
	if !strings.HasPrefix(s, "{") {
		return "", nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return "", fmt.Errorf("secret %s: %s: %w", v.arn, what, jsonProblem(err))
	}
	raw, ok := doc[name]
	if !ok {
		return "", nil
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("secret %s: %s: %q is not a string", v.arn, what, name)
	}
	return strings.TrimSpace(out), nil
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
