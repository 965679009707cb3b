package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/config"
	"go.yaml.in/yaml/v3"
)

func TestSecretNeverPrintsItsValue(t *testing.T) {
	const value = "sk-live-abcd1234"
	s := config.NewSecret(value)
	holder := struct {
		Name string
		Key  config.Secret
		Ptr  *config.Secret
	}{"dep", s, &s}

	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("loaded", "key", s, "holder", holder)
	js, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	ym, err := yaml.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", s),
		"%s":   fmt.Sprintf("%s", s),
		"%q":   fmt.Sprintf("%q", s),
		"%x":   fmt.Sprintf("%x", s),
		"%d":   fmt.Sprintf("%d", s),
		"%#v":  fmt.Sprintf("%#v", s),
		"%+v":  fmt.Sprintf("%+v", holder),
		"%#v2": fmt.Sprintf("%#v", holder),
		"%v*":  fmt.Sprintf("%v", *holder.Ptr),
		"slog": logBuf.String(),
		"json": string(js),
		"yaml": string(ym),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) || strings.Contains(out, "abcd") || strings.Contains(out, "sk-") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not say [redacted]: %s", name, out)
		}
	}
	if s.Reveal() != value || !s.IsSet() || s.EnvVar() != "" {
		t.Errorf("Reveal %q IsSet %v EnvVar %q", s.Reveal(), s.IsSet(), s.EnvVar())
	}
	var empty config.Secret
	if empty.String() != "" || empty.IsSet() {
		t.Errorf("empty secret prints %q", empty.String())
	}
}
