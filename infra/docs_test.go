package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCostFiguresAgree: the README's cost paragraph and comparison table
// quote docs/cost.md's idle and per-million totals.
func TestCostFiguresAgree(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cost, readme := read("../docs/cost.md"), read("../README.md")
	idle := regexp.MustCompile(`\*\*TOTAL\*\* \| \| \*\*≈ (\$[0-9.]+)/month\*\*`).FindStringSubmatch(cost)
	perM := regexp.MustCompile(`\*\*TOTAL\*\* \| \| \*\*≈ (\$[0-9.]+)\*\*`).FindStringSubmatch(cost)
	if idle == nil || perM == nil {
		t.Fatalf("docs/cost.md: no idle or per-million TOTAL row")
	}
	var table string
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| idle cost |") {
			table = line
		}
	}
	for _, fig := range []string{idle[1], perM[1]} {
		if !strings.Contains(table, fig) {
			t.Errorf("README's comparison table (%q) does not quote %s from docs/cost.md", table, fig)
		}
		if !strings.Contains(readme, "**"+fig) {
			t.Errorf("README's cost paragraph does not quote %s from docs/cost.md", fig)
		}
	}
}
