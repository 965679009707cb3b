package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxExpansion bounds how far aliases may multiply a document (the
// "billion laughs" attack): a document whose alias-expanded size passes both
// this many nodes and aliasRatio times its written size is refused.
// maxWork bounds the nodes and merged keys normalization may produce, which
// merge keys chained through aliases could otherwise make quadratic.
const (
	maxExpansion = 200_000
	aliasRatio   = 10
	maxWork      = maxExpansion * aliasRatio
)

// tree parses config files into yaml.Node trees with aliases and merge keys
// resolved, remembers which file each node came from, and merges files.
type tree struct {
	files    map[*yaml.Node]string
	problems []*Problem
}

func newTree() *tree { return &tree{files: map[*yaml.Node]string{}} }

func (t *tree) fail(file string, line int, path string, class error, format string, args ...any) {
	t.problems = append(t.problems, problemf(pos{file, line}, path, class, format, args...))
}

// parse reads one file and returns its top-level mapping, or nil when the
// file is empty or unusable (problems are recorded).
func (t *tree) parse(name string, data []byte) *yaml.Node {
	if line, msg := badText(data); line > 0 {
		t.fail(name, line, "", ErrSyntax, "%s", msg)
		return nil
	}
	docs, err := decodeDocs(data)
	if err != nil {
		line, msg := yamlErrorLine(err)
		if l := firstFailingLine(data); l > 0 {
			line = l
		}
		if tabIndented(data, line) {
			// The parser's words ("found character that cannot start any
			// token") do not name the cause, which editors hide.
			msg += ": this line is indented with a tab, and YAML does not allow tabs for indentation; indent with spaces"
		}
		t.fail(name, line, "", ErrSyntax, "%s", msg)
		return nil
	}
	if len(docs) == 0 {
		return nil
	}
	if len(docs) > 1 {
		t.fail(name, max(docs[1].Line, 1), "", ErrSyntax, "a second YAML document starts here; a config file holds one document")
		return nil
	}
	doc := docs[0]
	if len(doc.Content) == 0 {
		return nil
	}
	n := &normalizer{t: t, file: name, done: map[*yaml.Node]*yaml.Node{}, active: map[*yaml.Node]bool{}}
	root := n.norm(doc.Content[0])
	if root == nil || isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		t.fail(name, root.Line, "", ErrSyntax, "the top level must be a mapping (model_list:, litellm_settings:, ...), got %s", describe(root))
		return nil
	}
	if size := n.expandedSize(root); size > maxExpansion && size > aliasRatio*len(n.done) {
		t.fail(name, root.Line, "", ErrSyntax, "aliases expand the document to more than %d nodes; refusing to load it", maxExpansion)
		return nil
	}
	return root
}

// decodeDocs parses every document in data. The YAML library is third-party
// code fed untrusted text, so a panic in it becomes an error here.
func decodeDocs(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
		if len(docs) > 1 {
			return docs, nil
		}
	}
}

// yamlLineRe is compiled on first use (a YAML error), not at every start.
var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// yamlErrorLine turns a YAML parser error into a line and a message. The
// parser only reports positions inside its message text, so this is the one
// place that reads it.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRe().FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			return n, m[2]
		}
	}
	// The parser omits the line when the problem is on the first one.
	return 1, strings.TrimPrefix(msg, "yaml: ")
}

// firstFailingLine finds the first line at which the text stops parsing,
// by binary search over prefixes that end at line breaks. The parser itself
// reports the line where the enclosing block starts, which can be far above
// the mistake. It returns 0 when no prefix fails.
func firstFailingLine(data []byte) int {
	var ends []int // ends[i] is the length of the prefix holding lines 1..i+1
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(i int) bool {
		_, err := decodeDocs(data[:ends[i]])
		return err != nil
	}
	lo, hi := 0, len(ends)-1
	if !fails(hi) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo + 1
}

// tabIndented reports whether line (1-based) of data has a tab in its
// leading white space.
func tabIndented(data []byte, line int) bool {
	for i := 1; i < line; i++ {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return false
		}
		data = data[nl+1:]
	}
	for _, b := range data {
		switch b {
		case '\t':
			return true
		case ' ':
			continue
		}
		return false
	}
	return false
}

// badText finds bytes YAML does not allow (invalid UTF-8, control
// characters), which the parser would report without a line.
func badText(data []byte) (int, string) {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, fmt.Sprintf("invalid UTF-8 byte 0x%02x", data[i])
		case r == '\n':
			line++
		case r == '\t' || r == '\r':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0 && r != 0x85) || r == 0xfffe || r == 0xffff:
			return line, fmt.Sprintf("control character %U is not allowed in YAML", r)
		case r == 0xfeff && i > 0:
			return line, "byte-order mark in the middle of the file"
		}
		i += size
	}
	return 0, ""
}

// normalizer rewrites one file's tree so that later stages never see an
// alias or a merge key: aliases become the node they name, "<<" keys are
// expanded, and duplicate keys are reported.
type normalizer struct {
	t      *tree
	file   string
	done   map[*yaml.Node]*yaml.Node
	active map[*yaml.Node]bool
	sizes  map[*yaml.Node]int
	work   int
}

// spend counts produced nodes against maxWork, reporting once when the
// budget runs out.
func (n *normalizer) spend(y *yaml.Node, units int) bool {
	if n.work > maxWork {
		return false
	}
	n.work += units
	if n.work > maxWork {
		n.t.fail(n.file, y.Line, "", ErrSyntax, "aliases and merge keys expand the document to more than %d nodes; refusing to load it", maxWork)
		return false
	}
	return true
}

func (n *normalizer) norm(y *yaml.Node) *yaml.Node {
	if r, ok := n.done[y]; ok {
		return r
	}
	if y.Kind == yaml.AliasNode {
		if y.Alias == nil {
			n.t.fail(n.file, y.Line, "", ErrSyntax, "alias *%s names no anchor", y.Value)
			return nil
		}
		if n.active[y.Alias] {
			n.t.fail(n.file, y.Line, "", ErrSyntax, "alias *%s refers to a node that contains it", y.Value)
			return nil
		}
		r := n.norm(y.Alias)
		n.done[y] = r
		return r
	}
	if !n.spend(y, 1+len(y.Content)) {
		return nil
	}
	n.active[y] = true
	defer delete(n.active, y)
	var out *yaml.Node
	switch y.Kind {
	case yaml.ScalarNode:
		out = y
	case yaml.SequenceNode:
		c := *y
		c.Content = make([]*yaml.Node, 0, len(y.Content))
		for _, item := range y.Content {
			if r := n.norm(item); r != nil {
				c.Content = append(c.Content, r)
			} else {
				c.Content = append(c.Content, nullAt(item))
			}
		}
		out = &c
	case yaml.MappingNode:
		out = n.mapping(y)
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return nil
		}
		return n.norm(y.Content[0])
	default:
		n.t.fail(n.file, y.Line, "", ErrSyntax, "unexpected YAML node")
		return nil
	}
	n.t.files[out] = n.file
	n.done[y] = out
	return out
}

// mapping normalizes a mapping: explicit keys first, then keys inherited
// through "<<" that were not given explicitly (earlier merge sources win).
func (n *normalizer) mapping(y *yaml.Node) *yaml.Node {
	c := *y
	c.Content = nil
	index := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil && k.Alias.Kind == yaml.ScalarNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			n.t.fail(n.file, k.Line, "", ErrSyntax, "mapping keys must be plain scalars, got %s", describe(k))
			continue
		}
		if first, dup := index[k.Value]; dup {
			n.t.fail(n.file, k.Line, "", ErrDuplicate, "key %q is given twice (first at line %d)", k.Value, first.Line)
			continue
		}
		index[k.Value] = k
		n.t.files[k] = n.file
		nv := n.norm(v)
		if nv == nil {
			nv = nullAt(v)
		}
		c.Content = append(c.Content, k, nv)
	}
	for _, m := range merges {
		src := n.norm(m)
		if src == nil {
			continue
		}
		var sources []*yaml.Node
		switch src.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{src}
		case yaml.SequenceNode:
			sources = src.Content
		}
		if len(sources) == 0 && !isNull(src) {
			n.t.fail(n.file, m.Line, "", ErrSyntax, "<< needs a mapping or a list of mappings, got %s", describe(src))
			continue
		}
		for _, s := range sources {
			if s.Kind != yaml.MappingNode {
				n.t.fail(n.file, m.Line, "", ErrSyntax, "<< needs a mapping or a list of mappings, got %s", describe(s))
				continue
			}
			if !n.spend(m, len(s.Content)) {
				return &c
			}
			for i := 0; i+1 < len(s.Content); i += 2 {
				k := s.Content[i]
				if _, have := index[k.Value]; have {
					continue
				}
				index[k.Value] = k
				c.Content = append(c.Content, k, s.Content[i+1])
			}
		}
	}
	return &c
}

// expandedSize counts the nodes a full walk visits, saturating so that
// alias bombs cannot overflow the count.
func (n *normalizer) expandedSize(y *yaml.Node) int {
	if n.sizes == nil {
		n.sizes = map[*yaml.Node]int{}
	}
	if s, ok := n.sizes[y]; ok {
		return s
	}
	n.sizes[y] = maxExpansion + 1 // guards against cycles while computing
	total := 1
	for _, c := range y.Content {
		total += n.expandedSize(c)
		if total > maxExpansion*aliasRatio {
			total = maxExpansion * aliasRatio
			break
		}
	}
	n.sizes[y] = total
	return total
}

// merge deep-merges src over dst: mappings merge key by key, lists are
// concatenated, a null in src keeps dst, anything else in src wins.
func (t *tree) merge(dst, src *yaml.Node) *yaml.Node {
	if dst == nil {
		return src
	}
	if src == nil {
		return dst
	}
	c := *dst
	c.Content = append([]*yaml.Node(nil), dst.Content...)
	t.files[&c] = t.files[dst]
	for i := 0; i+1 < len(src.Content); i += 2 {
		sk, sv := src.Content[i], src.Content[i+1]
		j := findKey(&c, sk.Value)
		if j < 0 {
			c.Content = append(c.Content, sk, sv)
			continue
		}
		dv := c.Content[j+1]
		switch {
		case isNull(sv):
		case dv.Kind == yaml.MappingNode && sv.Kind == yaml.MappingNode:
			c.Content[j+1] = t.merge(dv, sv)
		case dv.Kind == yaml.SequenceNode && sv.Kind == yaml.SequenceNode:
			s := *dv
			s.Content = append(append([]*yaml.Node(nil), dv.Content...), sv.Content...)
			t.files[&s] = t.files[dv]
			c.Content[j+1] = &s
		default:
			c.Content[j], c.Content[j+1] = sk, sv
		}
	}
	return &c
}

// findKey returns the index of key in a mapping's Content, or -1.
func findKey(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// child returns the value under key in a mapping, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	if i := findKey(m, key); i >= 0 {
		return m.Content[i+1]
	}
	return nil
}

func isNull(y *yaml.Node) bool {
	return y == nil || (y.Kind == yaml.ScalarNode && y.ShortTag() == "!!null")
}

// nullAt stands in for a node that could not be normalized.
func nullAt(y *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: y.Line, Column: y.Column}
}

// describe names a node's type and value for error messages.
func describe(y *yaml.Node) string {
	switch y.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	v := y.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	switch y.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "boolean " + v
	case "!!int":
		return "integer " + v
	case "!!float":
		return "number " + v
	case "!!timestamp":
		return "date " + v
	case "!!str":
		return fmt.Sprintf("string %q", v)
	}
	return fmt.Sprintf("value with tag %s", y.ShortTag())
}
