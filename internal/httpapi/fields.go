package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// checkFields refuses a management body field that would otherwise be
// dropped: one of LiteLLM's that Tollgate does not honour (unless its
// value asks for nothing), or one nobody knows. v is the request type the
// body decodes into; its JSON fields are the honoured ones.
func checkFields(route string, op tenancy.Op, body []byte, v any) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil // not an object: decoding says what is wrong
	}
	known := jsonFields(reflect.TypeOf(v))
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(known, name) {
			continue
		}
		if why, ok := tenancy.Unhonoured(op, name); ok {
			if asksNothing(fields[name]) {
				continue
			}
			return badRequest(name, "%s is not supported by Tollgate: %s; remove it or send null", name, why)
		}
		msg := "unknown field " + name + " for " + route
		if s := config.Suggest(name, append(known, tenancy.UnhonouredFields(op)...)); s != "" {
			msg += "; did you mean " + s + "?"
		}
		return badRequest(name, "%s", msg)
	}
	return nil
}

// asksNothing reports whether a value is null or LiteLLM's default for an
// unset field (false, 0, "", [], {} or "default"), so a typed client that
// sends every field gets no refusal for fields it did not set.
func asksNothing(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "null", "false", "0", "0.0", `""`, "[]", "{}", `"default"`:
		return true
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case float64:
		return x == 0
	}
	return false
}

// jsonFields lists the JSON names of a struct type's fields, those of
// embedded structs included.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case name != "":
			out = append(out, name)
		case f.IsExported():
			out = append(out, f.Name)
		}
	}
	return out
}
