package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-gw/tollgate/internal/period"
)

// envPrefix marks a string value LiteLLM reads from the environment.
const envPrefix = "os.environ/"

// decoder turns the merged node tree into typed structs in one walk. At each
// key it consults the support table: unknown keys are problems, known keys
// not honoured become notices, and os.environ/ references are resolved
// unless the key is replaced or has no effect.
type decoder struct {
	ix        *tableIndex
	files     map[*yaml.Node]string
	lookupEnv func(string) (string, bool)
	// env is environment_variables, consulted before lookupEnv; nil while
	// that section itself is being decoded.
	env      map[string]string
	problems []*Problem
	notices  []Notice
	// given records every key written with a non-null value; pos those
	// that also decoded to a value (what Validate checks). Both are indexed
	// by at.key.
	given  map[string]bool
	pos    map[string]posAt
	fields map[reflect.Type]map[string]int
}

// scope is the support status governing a key and everything under it.
type scope struct {
	status Status
	why    string
	// notice indexes decoder.notices for the notice that reported this
	// scope, or is -1.
	notice int
}

// at is where the decoder is: the table pattern, the key path shown to
// users, the key identifying the value across merged files, and the
// governing scope. path and key differ only in list indexes: path counts
// items within their own file ("model_list[3]" is the fourth entry of the
// file named), key counts them in the merged list, so it is unique.
type at struct {
	pattern string
	path    string
	key     string
	sc      *scope
}

// nodeDecoder is implemented by field types whose YAML shape is their own
// (secrets, periods, fallback lists, ...). It reports whether a value was set.
type nodeDecoder interface {
	decodeNode(d *decoder, y *yaml.Node, a at) bool
}

func newDecoder(t *tree, lookup func(string) (string, bool)) *decoder {
	return &decoder{
		ix:        newTableIndex(),
		files:     t.files,
		lookupEnv: lookup,
		given:     map[string]bool{},
		pos:       map[string]posAt{},
		fields:    map[reflect.Type]map[string]int{},
	}
}

func (d *decoder) where(y *yaml.Node) pos { return pos{file: d.files[y], line: y.Line} }

func (d *decoder) fail(y *yaml.Node, path string, class error, format string, args ...any) {
	d.problems = append(d.problems, problemf(d.where(y), path, class, format, args...))
}

// document is the top level of a config file.
type document struct {
	ModelList  modelList         `yaml:"model_list"`
	LiteLLM    LiteLLMSettings   `yaml:"litellm_settings"`
	Router     RouterSettings    `yaml:"router_settings"`
	General    GeneralSettings   `yaml:"general_settings"`
	Guardrails guardrailList     `yaml:"guardrails"`
	Env        map[string]string `yaml:"environment_variables"`
}

// decodeRoot decodes the merged top-level mapping. environment_variables is
// decoded first because LiteLLM exports it before reading anything else.
func (d *decoder) decodeRoot(root *yaml.Node) *Config {
	var doc document
	top := at{sc: &scope{status: Honoured, notice: -1}}
	if root != nil {
		v := reflect.ValueOf(&doc).Elem()
		if i := findKey(root, "environment_variables"); i >= 0 {
			envOnly := &yaml.Node{Kind: yaml.MappingNode, Content: root.Content[i : i+2]}
			d.files[envOnly] = d.files[root]
			d.decodeStruct(envOnly, top, v, "")
		}
		d.env = doc.Env
		d.decodeStruct(root, top, v, "environment_variables")
	}
	return &Config{
		ModelList:  doc.ModelList,
		LiteLLM:    doc.LiteLLM,
		Router:     doc.Router,
		General:    doc.General,
		Guardrails: doc.Guardrails,
		Env:        doc.Env,
		Notices:    d.notices,
		pos:        d.pos,
	}
}

// fieldsOf maps yaml tag names to field indexes.
func (d *decoder) fieldsOf(t reflect.Type) map[string]int {
	if m, ok := d.fields[t]; ok {
		return m
	}
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	d.fields[t] = m
	return m
}

// decodeStruct decodes a mapping into a struct, checking every key against
// the support table. skip names a key to pass over.
func (d *decoder) decodeStruct(y *yaml.Node, a at, dst reflect.Value, skip string) bool {
	if isNull(y) {
		return false
	}
	if y.Kind != yaml.MappingNode {
		d.fail(y, a.path, ErrType, "expected a mapping, got %s", describe(y))
		return false
	}
	fields := d.fieldsOf(dst.Type())
	given := map[string]*yaml.Node{}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if skip != "" && k.Value == skip {
			continue
		}
		ca, target, ok := d.enter(a, k, v)
		if !ok {
			continue
		}
		if prev, dup := given[target]; dup {
			d.fail(k, ca.path, ErrDuplicate, "%q and %q (line %d) both set %s; keep one", k.Value, prev.Value, prev.Line, target)
			continue
		}
		given[target] = k
		if fi, ok := fields[target]; ok && d.decodeValue(v, ca, dst.Field(fi)) {
			d.record(ca, k)
		}
	}
	return true
}

// enter looks a key up in the support table, reports unknown keys, emits a
// notice when the key's status differs from its parent's, and returns where
// the key's value is decoded and which field name it fills.
func (d *decoder) enter(a at, k, v *yaml.Node) (at, string, bool) {
	key := k.Value
	path := joinPath(a.path, key)
	e, ok := d.ix.lookup(a.pattern, key, scalarText(v))
	if !ok {
		d.unknownKey(k, path, a.pattern, key)
		return at{}, "", false
	}
	target := key
	status, why := e.status, e.why
	if status == inherit {
		status, why = a.sc.status, a.sc.why
	}
	sc := &scope{status: status, why: why, notice: a.sc.notice}
	if e.status == Renamed {
		target = e.to
		te, _ := d.ix.lookup(a.pattern, target, scalarText(v))
		sc.status, sc.why = te.status, te.why
		if sc.status == inherit {
			sc.status, sc.why = a.sc.status, a.sc.why
		}
		msg := e.why
		if sc.status != Honoured {
			msg += " (" + sc.status.String() + ": " + sc.why + ")"
		}
		sc.notice = d.notice(k, path, Renamed, msg)
		if sc.status == Honoured {
			sc.notice = a.sc.notice
		}
	} else if status != Honoured && (status != a.sc.status || why != a.sc.why) {
		sc.notice = d.notice(k, path, status, why)
	}
	ckey := joinPath(a.key, key)
	if !isNull(v) {
		d.given[ckey] = true
	}
	pattern := joinPattern(a.pattern, key)
	if e.key == "*" {
		pattern = joinPattern(a.pattern, "*")
	} else if e.status == Renamed {
		pattern = joinPattern(a.pattern, target)
	}
	return at{pattern: pattern, path: path, key: ckey, sc: sc}, target, true
}

// record notes where a value was given, for Validate.
func (d *decoder) record(a at, y *yaml.Node) {
	d.pos[a.key] = posAt{pos: d.where(y), path: a.path}
}

func (d *decoder) notice(k *yaml.Node, path string, kind Status, msg string) int {
	w := d.where(k)
	d.notices = append(d.notices, Notice{Path: path, File: w.file, Line: w.line, Kind: kind, Message: msg})
	return len(d.notices) - 1
}

// note appends to the notice that governs a scope.
func (d *decoder) note(sc *scope, msg string) {
	if sc.notice >= 0 {
		d.notices[sc.notice].Message += "; " + msg
	}
}

func (d *decoder) unknownKey(k *yaml.Node, path, parent, key string) {
	msg := "unknown key"
	if s := suggest(key, d.ix.keysUnder(parent)); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	d.fail(k, path, ErrUnknownKey, "%s", msg)
}

// joinPath appends a key to a concrete path, bracketing keys that would be
// ambiguous after a dot.
func joinPath(parent, key string) string {
	if !plainKey(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func scalarText(y *yaml.Node) string {
	if y != nil && y.Kind == yaml.ScalarNode {
		return y.Value
	}
	return ""
}

var durationType = reflect.TypeOf(time.Duration(0))

// seconds converts a LiteLLM seconds value (int or float) to a Duration.
func seconds(f float64) time.Duration {
	return time.Duration(f * float64(time.Second))
}

// decodeValue decodes y into dst by dst's type and reports whether it set
// a value.
func (d *decoder) decodeValue(y *yaml.Node, a at, dst reflect.Value) bool {
	if isNull(y) {
		return false
	}
	switch v := dst.Addr().Interface().(type) {
	case nodeDecoder:
		return v.decodeNode(d, y, a)
	case *period.Period:
		return decodePeriod(d, y, a, v)
	}
	if dst.Type() == durationType {
		f, ok := d.number(y, a, "a number of seconds")
		if !ok {
			return false
		}
		if math.Abs(f) > float64(math.MaxInt64)/float64(time.Second) {
			d.fail(y, a.path, ErrInvalid, "%v seconds is out of range", f)
			return false
		}
		dst.SetInt(int64(seconds(f)))
		return true
	}
	switch dst.Kind() {
	case reflect.Pointer:
		v := reflect.New(dst.Type().Elem())
		if d.decodeValue(y, a, v.Elem()) {
			dst.Set(v)
			return true
		}
		return false
	case reflect.String:
		s, _, ok := d.text(y, a, "a string")
		if ok {
			dst.SetString(s)
		}
		return ok
	case reflect.Bool:
		b, ok := d.boolean(y, a)
		if ok {
			dst.SetBool(b)
		}
		return ok
	case reflect.Int:
		n, ok := d.integer(y, a)
		if ok {
			dst.SetInt(n)
		}
		return ok
	case reflect.Float64:
		f, ok := d.number(y, a, "a number")
		if ok {
			dst.SetFloat(f)
		}
		return ok
	case reflect.Slice:
		return d.decodeSlice(y, a, dst)
	case reflect.Map:
		return d.decodeMap(y, a, dst)
	case reflect.Struct:
		return d.decodeStruct(y, a, dst, "")
	}
	d.fail(y, a.path, ErrType, "cannot decode into %s", dst.Type())
	return false
}

// decodeSlice decodes a list. Item paths count per file, so a merged list
// still names "model_list[3]" as the fourth item of the file shown.
func (d *decoder) decodeSlice(y *yaml.Node, a at, dst reflect.Value) bool {
	if y.Kind != yaml.SequenceNode {
		d.fail(y, a.path, ErrType, "expected a list, got %s", describe(y))
		return false
	}
	out := reflect.MakeSlice(dst.Type(), 0, len(y.Content))
	for _, item := range listItems(d, y, a) {
		ev := reflect.New(dst.Type().Elem()).Elem()
		if d.decodeValue(item.node, item.at, ev) {
			out = reflect.Append(out, ev)
		}
	}
	dst.Set(out)
	return true
}

type listItem struct {
	node *yaml.Node
	at   at
}

// listItems yields a list's items with their per-file paths and records
// their positions.
func listItems(d *decoder, y *yaml.Node, a at) []listItem {
	counts := map[string]int{}
	items := make([]listItem, 0, len(y.Content))
	for i, item := range y.Content {
		file := d.files[item]
		ia := at{
			pattern: a.pattern + "[]",
			path:    fmt.Sprintf("%s[%d]", a.path, counts[file]),
			key:     fmt.Sprintf("%s[%d]", a.key, i),
			sc:      a.sc,
		}
		counts[file]++
		if !isNull(item) {
			d.record(ia, item)
		}
		items = append(items, listItem{node: item, at: ia})
	}
	return items
}

// decodeMap decodes a mapping with free-form keys (environment_variables,
// extra_headers, model_group_alias).
func (d *decoder) decodeMap(y *yaml.Node, a at, dst reflect.Value) bool {
	if y.Kind != yaml.MappingNode {
		d.fail(y, a.path, ErrType, "expected a mapping, got %s", describe(y))
		return false
	}
	if dst.IsNil() {
		dst.Set(reflect.MakeMap(dst.Type()))
	}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		ca, _, ok := d.enter(a, k, v)
		if !ok {
			continue
		}
		ev := reflect.New(dst.Type().Elem()).Elem()
		if isNull(v) && ev.Kind() == reflect.String {
			dst.SetMapIndex(reflect.ValueOf(k.Value), ev)
			continue
		}
		if ev.Kind() == reflect.String && a.pattern == "environment_variables" {
			// LiteLLM exports every value with str(), so true and 1 are fine.
			if s, _, ok := d.text(v, ca, "a scalar value"); ok {
				dst.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(s))
			}
			continue
		}
		if d.decodeValue(v, ca, ev) {
			dst.SetMapIndex(reflect.ValueOf(k.Value), ev)
			d.record(ca, k)
		}
	}
	return true
}

// text returns a scalar's text with os.environ/ references resolved. env
// names the variable when the text came from the environment. ok is false
// when there is no value to use (reported as needed).
func (d *decoder) text(y *yaml.Node, a at, want string) (s, env string, ok bool) {
	if y.Kind != yaml.ScalarNode {
		d.fail(y, a.path, ErrType, "expected %s, got %s", want, describe(y))
		return "", "", false
	}
	switch y.ShortTag() {
	case "!!null":
		return "", "", false
	case "!!str":
		if name, isRef := strings.CutPrefix(y.Value, envPrefix); isRef {
			v, ok := d.resolve(y, a, name)
			return v, name, ok
		}
		return y.Value, "", true
	case "!!int", "!!float", "!!timestamp":
		return y.Value, "", true
	case "!!bool":
		if want != "a string" {
			return y.Value, "", true
		}
	}
	d.fail(y, a.path, ErrType, "expected %s, got %s", want, describe(y))
	return "", "", false
}

// resolve looks up an os.environ/ reference: the environment_variables
// section first (LiteLLM exports it at start-up), then the environment.
// References under replaced or no-effect keys are left alone, so a config
// that points Redis settings at unset variables still loads.
func (d *decoder) resolve(y *yaml.Node, a at, name string) (string, bool) {
	if name == "" || strings.TrimSpace(name) != name {
		d.fail(y, a.path, ErrInvalid, "os.environ/ must be followed by a variable name, got %q", y.Value)
		return "", false
	}
	switch a.sc.status {
	case Replaced:
		d.note(a.sc, fmt.Sprintf("os.environ/%s not resolved because the setting is replaced", name))
		return "", false
	case NoEffect:
		d.note(a.sc, fmt.Sprintf("os.environ/%s not resolved because the setting has no effect", name))
		return "", false
	}
	if v, ok := d.env[name]; ok {
		return v, true
	}
	if v, ok := d.lookupEnv(name); ok {
		return v, true
	}
	if a.sc.status == Honoured {
		d.fail(y, a.path, ErrMissingEnv, "environment variable %s is not set (os.environ/%s)", name, name)
	} else {
		d.note(a.sc, fmt.Sprintf("os.environ/%s is not set", name))
	}
	return "", false
}

// boolean accepts YAML booleans and, as PyYAML and pydantic do, the words
// yes/no/on/off and 0/1.
func (d *decoder) boolean(y *yaml.Node, a at) (bool, bool) {
	s, env, ok := d.text(y, a, "true or false")
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "y", "1":
		return true, true
	case "false", "no", "off", "n", "0":
		return false, true
	}
	d.typeErr(y, a, env, s, "true or false")
	return false, false
}

// integer accepts integers, integral floats and numeric strings (pydantic
// coerces "100" to 100, and os.environ/ values are always strings).
func (d *decoder) integer(y *yaml.Node, a at) (int64, bool) {
	s, env, ok := d.text(y, a, "an integer")
	if !ok {
		return 0, false
	}
	if y.ShortTag() == "!!int" {
		var n int64
		if err := y.Decode(&n); err == nil {
			return n, true
		}
	}
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), true
	}
	d.typeErr(y, a, env, s, "an integer")
	return 0, false
}

// number accepts integers, floats and numeric strings; NaN and infinities
// are refused.
func (d *decoder) number(y *yaml.Node, a at, want string) (float64, bool) {
	s, env, ok := d.text(y, a, want)
	if !ok {
		return 0, false
	}
	var f float64
	var err error
	if tag := y.ShortTag(); tag == "!!int" || tag == "!!float" {
		err = y.Decode(&f)
	} else {
		f, err = strconv.ParseFloat(strings.TrimSpace(s), 64)
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.typeErr(y, a, env, s, want)
		return 0, false
	}
	return f, true
}

func (d *decoder) typeErr(y *yaml.Node, a at, env, s, want string) {
	got := describe(y)
	if env != "" {
		got = fmt.Sprintf("%q from os.environ/%s", s, env)
	}
	d.fail(y, a.path, ErrType, "expected %s, got %s", want, got)
}
