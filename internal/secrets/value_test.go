package secrets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/secrets"
)

const hush = "sk-live-0123456789abcdef"

// TestValueRedacts: no formatting path shows the content.
func TestValueRedacts(t *testing.T) {
	v := secrets.NewValue(arn, "ver-1", hush)
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%-8v"} {
		if got := fmt.Sprintf(verb, v); strings.Contains(got, "sk-") || strings.Contains(got, "736b2d") {
			t.Errorf("%s shows the secret: %s", verb, got)
		}
	}
	type holder struct {
		Key  secrets.Value
		Ptr  *secrets.Value
		List []secrets.Value
	}
	h := holder{Key: v, Ptr: &v, List: []secrets.Value{v}}
	if got := fmt.Sprintf("%+v %#v", h, h); strings.Contains(got, "sk-") {
		t.Errorf("struct formatting shows the secret: %s", got)
	}
	js, err := json.Marshal(h)
	if err != nil || strings.Contains(string(js), "sk-") {
		t.Errorf("JSON %s %v", js, err)
	}
	var buf bytes.Buffer
	for _, handler := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(handler).Info("m", "key", v, slog.Any("holder", h), slog.Group("g", "v", v))
	}
	if strings.Contains(buf.String(), "sk-") || !strings.Contains(buf.String(), "[redacted]") {
		t.Errorf("slog: %s", buf.String())
	}
	if v.Reveal() != hush || v.ARN() != arn || v.Version() != "ver-1" || !v.IsSet() {
		t.Errorf("accessors")
	}
	if (secrets.Value{}).String() != "" || (secrets.Value{}).IsSet() {
		t.Errorf("empty value prints %q", secrets.Value{}.String())
	}
	if !v.Equal(secrets.NewValue(arn, "ver-2", hush)) || v.Equal(secrets.NewValue(arn, "ver-1", "other")) {
		t.Errorf("Equal compares content only")
	}
}

// TestMasterKey: plain and JSON secrets; errors name the ARN and show no
// part of the content.
func TestMasterKey(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "plain", in: hush, want: hush},
		{name: "plain with newline", in: hush + "\n", want: hush},
		{name: "json", in: `{"master_key":"` + hush + `"}`, want: hush},
		{name: "json with other members", in: `{"username":"admin","master_key":" ` + hush + ` "}`, want: hush},
		{name: "json without master_key", in: `{"key":"` + hush + `"}`, err: `no "master_key" member`},
		{name: "json master_key not a string", in: `{"master_key":12345}`, err: "not a string"},
		{name: "broken json", in: `{"master_key":"sk-abc`, err: "invalid JSON at byte"},
		{name: "broken json char", in: `{"master_key" x "sk-abc"}`, err: "invalid JSON at byte 15"},
		{name: "empty", in: "  \n", err: "empty"},
		{name: "json empty key", in: `{"master_key":""}`, err: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secrets.MasterKey(secrets.NewValue(arn, "v", tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), arn) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "sk-") || strings.Contains(err.Error(), "'x'") {
					t.Fatalf("error shows the content: %v", err)
				}
				return
			}
			if err != nil || got.Reveal() != tt.want || got.ARN() != arn || got.Version() != "v" {
				t.Fatalf("got %q, %v", got.Reveal(), err)
			}
		})
	}
}

// TestRotationShapes: the previous master key and the origin secret's
// values during a rotation; plain secrets have no previous value; errors
// name the ARN and show no content.
func TestRotationShapes(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		previous string   // PreviousMasterKey
		origin   []string // OriginSecrets
		err      string
	}{
		{name: "plain", in: hush, origin: []string{hush}},
		{name: "master key window", in: `{"master_key":"sk-new","previous_master_key":" sk-old "}`, previous: "sk-old", err: `"current"`},
		{name: "origin rotation", in: `{"current":"o-new","previous":"o-old"}`, origin: []string{"o-new", "o-old"}},
		{name: "origin settled", in: `{"current":"o-new","previous":""}`, origin: []string{"o-new"}},
		{name: "origin without current", in: `{"previous":"o-old"}`, err: `"current" is empty`},
		{name: "previous not a string", in: `{"current":"o","previous":1,"previous_master_key":2}`, err: "not a string"},
		{name: "broken json", in: `{"current":"sk-abc`, err: "invalid JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := secrets.NewValue(arn, "v", tt.in)
			prev, perr := secrets.PreviousMasterKey(v)
			origin, oerr := secrets.OriginSecrets(v)
			for _, err := range []error{perr, oerr} {
				if err != nil && (!strings.Contains(err.Error(), arn) || strings.Contains(err.Error(), "sk-") || strings.Contains(err.Error(), "o-")) {
					t.Fatalf("error shows the content or misses the ARN: %v", err)
				}
			}
			if tt.err != "" && (perr == nil || !strings.Contains(perr.Error(), tt.err)) && (oerr == nil || !strings.Contains(oerr.Error(), tt.err)) {
				t.Fatalf("errors %v / %v, want one saying %q", perr, oerr, tt.err)
			}
			if tt.err == "" && (perr != nil || oerr != nil) {
				t.Fatalf("errors %v / %v", perr, oerr)
			}
			if perr == nil && prev != tt.previous {
				t.Errorf("previous master key %q, want %q", prev, tt.previous)
			}
			if oerr == nil && strings.Join(origin, "|") != strings.Join(tt.origin, "|") {
				t.Errorf("origin values %q, want %q", origin, tt.origin)
			}
		})
	}
}

// TestEnv: provider keys become a lookup; malformed secrets are refused
// without echoing them.
func TestEnv(t *testing.T) {
	lookup, err := secrets.Env(secrets.NewValue(otherARN, "v", `{"OPENAI_API_KEY":"sk-openai","AZURE_API_KEY":"az-key","EMPTY":""}`))
	if err != nil {
		t.Fatal(err)
	}
	lookups := []struct {
		name string
		want string
		ok   bool
	}{
		{"OPENAI_API_KEY", "sk-openai", true},
		{"AZURE_API_KEY", "az-key", true},
		{"EMPTY", "", false}, // listed but not filled in
		{"HOME", "", false},
		{"openai_api_key", "", false},
	}
	for _, l := range lookups {
		if v, ok := lookup(l.name); v != l.want || ok != l.ok {
			t.Errorf("lookup(%s) = %q, %v", l.name, v, ok)
		}
	}

	bad := []struct {
		name, in, err string
	}{
		{name: "not json", in: "sk-plain-key", err: "invalid JSON at byte"},
		{name: "array", in: `["sk-a"]`, err: "a JSON array where an object was expected"},
		{name: "null", in: `null`, err: "null is not an object"},
		{name: "number value", in: `{"OPENAI_API_KEY":123}`, err: "the value of OPENAI_API_KEY is not a string"},
		{name: "object value", in: `{"OPENAI_API_KEY":{"k":"sk-x"}}`, err: "the value of OPENAI_API_KEY is not a string"},
		{name: "bad name", in: `{"A=B":"sk-x"}`, err: `"A=B" is not a variable name`},
		{name: "empty name", in: `{"":"sk-x"}`, err: `"" is not a variable name`},
		{name: "truncated", in: `{"OPENAI_API_KEY":"sk-x`, err: "invalid JSON at byte"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secrets.Env(secrets.NewValue(otherARN, "v", tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), otherARN) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if strings.Contains(err.Error(), "sk-") {
				t.Fatalf("error shows the content: %v", err)
			}
		})
	}
}
