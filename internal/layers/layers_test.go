package layers_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/tollgate-gw/tollgate/"

// pattern is a package path relative to the module, or a prefix ending in
// "/..." that names the package and everything under it.
type pattern string

func (p pattern) match(pkg string) bool {
	if base, ok := strings.CutSuffix(string(p), "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == string(p)
}

// specificity orders matches: an exact path beats any prefix, a longer
// prefix beats a shorter one.
func (p pattern) specificity() int {
	if base, ok := strings.CutSuffix(string(p), "/..."); ok {
		return len(base)
	}
	return 1 << 20
}

// row is one row of the layer table.
type row struct {
	layer int
	name  string
	pkgs  []pattern
}

// ban is one row of the table of imports no layer rule catches.
type ban struct {
	pkgs, except, imports []pattern
	why                   string
}

func (b ban) applies(pkg string) bool {
	return anyMatch(b.pkgs, pkg) && !anyMatch(b.except, pkg)
}

func anyMatch(ps []pattern, pkg string) bool {
	for _, p := range ps {
		if p.match(pkg) {
			return true
		}
	}
	return false
}

var code = regexp.MustCompile("`([^`]+)`")

func patterns(cell string) []pattern {
	var out []pattern
	for _, m := range code.FindAllStringSubmatch(cell, -1) {
		out = append(out, pattern(m[1]))
	}
	return out
}

// readRules reads the tables under "## Layers" in ARCHITECTURE.md.
func readRules(t *testing.T) ([]row, []ban) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	var bans []ban
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Layers"
			continue
		}
		if !in || !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 3 {
			t.Fatalf("ARCHITECTURE.md, layers: a row with %d cells, want 3: %s", len(cells), line)
		}
		if n, err := strconv.Atoi(cells[0]); err == nil {
			rows = append(rows, row{layer: n, name: cells[1], pkgs: patterns(cells[2])})
			continue
		}
		if !strings.HasPrefix(cells[0], "`") {
			continue // a header
		}
		pkgs, except, _ := strings.Cut(cells[0], " but ")
		bans = append(bans, ban{pkgs: patterns(pkgs), except: patterns(except), imports: patterns(cells[1]), why: cells[2]})
	}
	if len(rows) == 0 || len(bans) == 0 {
		t.Fatalf("ARCHITECTURE.md has no layer table or no table of banned imports under ## Layers")
	}
	return rows, bans
}

// layerOf returns the row whose most specific pattern names pkg.
func layerOf(rows []row, pkg string) (row, bool) {
	best, found, spec := row{}, false, -1
	for _, r := range rows {
		for _, p := range r.pkgs {
			if p.match(pkg) && p.specificity() > spec {
				best, found, spec = r, true, p.specificity()
			}
		}
	}
	return best, found
}

// graph is `go list`'s view of ./internal/...: each package's imports,
// module-relative where they are the module's own.
func graph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./internal/...")
	cmd.Dir = filepath.Join("..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	g := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for i := range f {
			f[i] = strings.TrimPrefix(f[i], module)
		}
		g[f[0]] = f[1:]
	}
	return g
}

// TestImportsFollowTheLayers: no package imports a package of a higher
// layer or an import the banned table names, and every package has a layer.
func TestImportsFollowTheLayers(t *testing.T) {
	rows, bans := readRules(t)
	for pkg, imports := range graph(t) {
		if pkg == "internal/layers" {
			continue // this test
		}
		from, ok := layerOf(rows, pkg)
		if !ok {
			t.Errorf("%s has no layer: add it to the layer table of ARCHITECTURE.md (## Layers)", pkg)
			continue
		}
		for _, imp := range imports {
			for _, b := range bans {
				if b.applies(pkg) && anyMatch(b.imports, imp) {
					t.Errorf("%s imports %s: %s (ARCHITECTURE.md, ## Layers)", pkg, imp, b.why)
				}
			}
			if !strings.HasPrefix(imp, "internal/") {
				continue
			}
			to, ok := layerOf(rows, imp)
			if ok && to.layer > from.layer {
				t.Errorf("%s (layer %d, %s) imports %s (layer %d, %s): an upward import", pkg, from.layer, from.name, imp, to.layer, to.name)
			}
		}
	}
}

// TestRulesCatchViolations: the checks above can fail; each case is an
// import the rules must refuse or allow.
func TestRulesCatchViolations(t *testing.T) {
	rows, bans := readRules(t)
	up := func(from, to string) bool {
		a, _ := layerOf(rows, from)
		b, _ := layerOf(rows, to)
		return b.layer > a.layer
	}
	banned := func(from, to string) bool {
		for _, b := range bans {
			if b.applies(from) && anyMatch(b.imports, to) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		from, to     string
		up, isBanned bool
	}{
		{"internal/store", "internal/config", false, true},
		{"internal/store/dynamo", "internal/config", false, true},
		{"internal/llm", "internal/provider", true, false},
		{"internal/tenancy", "internal/httpapi", true, false},
		{"internal/httpapi", "internal/app", true, false},
		{"internal/provider/openai", "internal/store", false, true},
		{"internal/provider/openai", "internal/wire/openai", false, false},
		{"internal/wire/bedrock", "internal/provider", false, true},
		{"internal/provider/upstream", "internal/provider", false, false},
		{"internal/provider/upstream", "internal/provider/openai", true, false},
		{"internal/httpapi", "github.com/aws/aws-lambda-go/events", false, true},
		{"internal/lambdafront", "github.com/aws/aws-lambda-go/events", false, false},
		{"internal/app", "internal/store/embedded", false, false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s→%s", tt.from, tt.to)
		if got := up(tt.from, tt.to); got != tt.up {
			t.Errorf("%s: upward = %v, want %v", name, got, tt.up)
		}
		if got := banned(tt.from, tt.to); got != tt.isBanned {
			t.Errorf("%s: banned = %v, want %v", name, got, tt.isBanned)
		}
	}
	if _, ok := layerOf(rows, "internal/newpackage"); ok {
		t.Error("a package no row names has a layer")
	}
}
