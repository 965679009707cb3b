package store

import (
	"regexp"
	"strings"
	"testing"
)

// fieldPattern is what validField checks, as the regexp it replaced.
var fieldPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func TestValidField(t *testing.T) {
	for _, f := range []string{"", "a", "spend", "tokens_in", "a0_", "0a", "_a", "A", "aB", "a-b", "a b", "é", "a\x00",
		strings.Repeat("a", 32), strings.Repeat("a", 33), "z" + strings.Repeat("9", 31)} {
		if got, want := validField(f), fieldPattern.MatchString(f); got != want {
			t.Errorf("validField(%q) = %v, the pattern says %v", f, got, want)
		}
	}
}

func FuzzValidField(f *testing.F) {
	f.Add("spend")
	f.Add("0a")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validField(s), fieldPattern.MatchString(s); got != want {
			t.Fatalf("validField(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
