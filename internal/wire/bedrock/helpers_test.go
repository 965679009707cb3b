package bedrock

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
)

// caseName names a table row and records where it was written, so a failure
// points at the row (the pattern of encoding/json's jsontest.CaseName).
type caseName struct {
	Name  string
	Where string
}

func name(s string) caseName {
	_, file, line, _ := runtime.Caller(1)
	return caseName{Name: s, Where: fmt.Sprintf("%s:%d", filepath.Base(file), line)}
}

func (c caseName) run(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Run(c.Name, func(t *testing.T) {
		t.Helper()
		defer func() {
			if t.Failed() {
				t.Logf("case defined at %s", c.Where)
			}
		}()
		f(t)
	})
}

func ptr[T any](v T) *T { return &v }

// dump renders a value for failure messages.
func dump(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
