package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors classify each Problem. Callers branch with errors.Is on the
// error Load returns (it matches when any of its problems is of that class).
var (
	// ErrSyntax: the file is not valid YAML, or its shape cannot be read.
	ErrSyntax = errors.New("invalid YAML")
	// ErrUnknownKey: a key that neither LiteLLM nor Tollgate defines at that
	// place, most often a typo.
	ErrUnknownKey = errors.New("unknown key")
	// ErrDuplicate: a key given twice in one mapping, a repeated
	// model_info.id, or an identical deployment listed twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrType: a value of the wrong type (a string where a number is needed).
	ErrType = errors.New("wrong type")
	// ErrMissingEnv: an os.environ/NAME reference to a variable that is not
	// set, under a key Tollgate uses.
	ErrMissingEnv = errors.New("environment variable not set")
	// ErrUnknownProvider: a model's provider prefix is not in the catalog.
	ErrUnknownProvider = errors.New("unknown provider")
	// ErrInvalid: a value that has the right type but is not acceptable, or
	// settings that contradict each other.
	ErrInvalid = errors.New("invalid value")
)

// Problem is one thing wrong with a config file, located by file, line and
// key path.
type Problem struct {
	// File is the config file as passed to Load or Parse.
	File string
	// Line is 1-based; 0 when the problem has no single line.
	Line int
	// Path is the key path, e.g. "model_list[3].litellm_params.api_base";
	// empty for problems that concern the document as a whole.
	Path string
	// Err describes the problem and wraps one of the sentinel errors.
	Err error
}

// Error formats the problem as "file:line: path: message".
func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Err.Error())
	return b.String()
}

// Unwrap returns the classified cause so errors.Is works on a Problem.
func (p *Problem) Unwrap() error { return p.Err }

// Error is every problem found while loading, so one run shows them all.
type Error struct {
	Problems []*Problem
}

// Error joins the problems, one per line, in file and line order.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// problemf builds a problem whose message wraps class.
func problemf(at pos, path string, class error, format string, args ...any) *Problem {
	msg := fmt.Sprintf(format, args...)
	return &Problem{File: at.file, Line: at.line, Path: path, Err: &classified{class: class, msg: msg}}
}

// classified is a message that errors.Is matches against its class.
type classified struct {
	class error
	msg   string
}

func (c *classified) Error() string { return c.msg }
func (c *classified) Unwrap() error { return c.class }

// sortProblems orders problems by file (in load order), then line, then path.
func sortProblems(ps []*Problem, files []string) {
	order := fileOrder(files)
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if order[a.File] != order[b.File] {
			return order[a.File] < order[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Path < b.Path
	})
}

func fileOrder(files []string) map[string]int {
	m := make(map[string]int, len(files))
	for i, f := range files {
		if _, ok := m[f]; !ok {
			m[f] = i
		}
	}
	return m
}

// pos is a place in a config file.
type pos struct {
	file string
	line int
}

// posAt is where a value was given and the key path to show for it.
type posAt struct {
	pos
	path string
}

// sortNotices orders notices by file (in load order), then line, then path.
func sortNotices(ns []Notice, files []string) {
	order := fileOrder(files)
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		if order[a.File] != order[b.File] {
			return order[a.File] < order[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Path < b.Path
	})
}
