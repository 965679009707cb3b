package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// ErrPlaintextSecret: a credential of a deployment kept outside the file
// (ParseDeployment) written as a value instead of an os.environ/ reference.
var ErrPlaintextSecret = errors.New("credential given in plaintext")

// storedPath is the key path ParseDeployment's entry has in the document it
// parses; messages drop it, so they name the fields as the client sent them.
const storedPath = "model_list[0]."

// ParseDeployment parses one model_list entry kept outside the config file
// (a model added through /model/new, LiteLLM's store_model_in_db) with the
// file's own rules: the same keys, types, provider checks, validation and
// os.environ/ references, resolved as the config's own are (its
// environment_variables section, then the environment it was loaded with).
// doc is the entry as JSON ({"model_name", "litellm_params", "model_info"});
// name is used in messages in place of a file name.
//
// Credentials (the litellm_params typed Secret: api_key,
// aws_secret_access_key, ...) must be os.environ/ references: a value
// written in doc would be stored in plaintext, so it is refused, naming the
// field (ErrPlaintextSecret). Every problem comes in an *Error.
func (c *Config) ParseDeployment(name string, doc []byte) (Deployment, error) {
	flow, err := yamlFlow(doc)
	if err != nil {
		return Deployment{}, &Error{Problems: []*Problem{problemf(pos{file: name}, "", ErrSyntax, "not valid JSON: %v", err)}}
	}
	src := append([]byte("model_list: ["), flow...)
	src = append(src, ']', '\n')
	cfg, err := load([]source{{name: name, data: src}}, &LoadOptions{LookupEnv: c.LookupEnv})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			for _, p := range e.Problems {
				p.Path = strings.TrimPrefix(strings.TrimPrefix(p.Path, storedPath), strings.TrimSuffix(storedPath, "."))
			}
		}
		return Deployment{}, err
	}
	if len(cfg.ModelList) != 1 {
		return Deployment{}, &Error{Problems: []*Problem{problemf(pos{file: name}, "", ErrSyntax, "expected one model (a mapping with model_name and litellm_params)")}}
	}
	d := cfg.ModelList[0]
	if ps := plaintextSecrets(name, &d.Params); len(ps) > 0 {
		return Deployment{}, &Error{Problems: ps}
	}
	d.Line, d.path, d.key = 0, "", ""
	return d, nil
}

// plaintextSecrets reports every credential in p that was not given as an
// os.environ/ reference.
func plaintextSecrets(name string, p *LiteLLMParams) []*Problem {
	var out []*Problem
	v := reflect.ValueOf(p).Elem()
	t := v.Type()
	secret := reflect.TypeOf(Secret{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type != secret {
			continue
		}
		s := v.Field(i).Interface().(Secret)
		if s.IsSet() && s.EnvVar() == "" {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			out = append(out, problemf(pos{file: name}, "litellm_params."+key, ErrPlaintextSecret,
				"a stored model's credentials must be environment references: write os.environ/NAME and set NAME in the gateway's environment (or its provider keys secret); the value is not stored"))
		}
	}
	return out
}

// yamlFlow re-encodes one JSON document as YAML flow style, token by token
// so that duplicate keys stay for the decoder to report: JSON is nearly
// YAML's flow style, but YAML knows no "\/" escape and reads escaped
// surrogate pairs as two characters, so strings are written again as Go's
// encoder writes them (raw UTF-8, YAML-compatible escapes), and layout
// (tabs, line breaks) is dropped.
func yamlFlow(doc []byte) ([]byte, error) {
	if !json.Valid(doc) {
		var v any
		return nil, json.Unmarshal(doc, &v) // says where
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out bytes.Buffer
	// Per open container: whether it is an object, and the count of
	// tokens written in it so far (keys and values alike).
	type open struct {
		object bool
		n      int
	}
	var stack []open
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.object && top.n%2 == 1:
				out.WriteString(": ")
			case top.n > 0:
				out.WriteString(", ")
			}
			top.n++
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			stack = append(stack, open{object: v == '{'})
		case string:
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return nil, err
			}
			out.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
		case json.Number:
			out.WriteString(v.String())
		case bool:
			out.WriteString(strconv.FormatBool(v))
		case nil:
			out.WriteString("null")
		}
	}
	return out.Bytes(), nil
}
