package openai

import (
	"bytes"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The OpenAI format's unions and lenient scalars, each a small type with
// the json/v2 methods that read and write it. An error they return is a
// *DecodeError without a Field: json/v2 wraps it with the member's JSON
// pointer, which decodeError turns into the field path.

// Int is an integer that also accepts integral floats such as 100.0, which
// some clients send.
type Int int

// UnmarshalJSONFrom reads a JSON number with no fractional part.
func (n *Int) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if k := dec.PeekKind(); k != '0' {
		if k == 'n' {
			_, err := dec.ReadToken()
			return err
		}
		return &DecodeError{Msg: "expected an integer, got " + kindName(k)}
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if i, err := tok.Int(); err == nil && int64(int(i)) == i {
		*n = Int(i)
		return nil
	}
	f, err := tok.Float()
	if err != nil || f != float64(int(f)) {
		return &DecodeError{Msg: "expected an integer, got a number"}
	}
	*n = Int(f)
	return nil
}

// ptr returns the integer as the *int the neutral model holds.
func (n *Int) ptr() *int { return (*int)(n) }

// intPtr is the other way round.
func intPtr(p *int) *Int { return (*Int)(p) }

// OptString is a string member told apart from a null or absent one.
type OptString struct {
	S string
	// Kind is '"' for a string, 'n' for null and 0 when absent.
	Kind jsontext.Kind
}

// UnmarshalJSONFrom reads a string or null.
func (p *OptString) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	k := dec.PeekKind()
	if k != '"' && k != 'n' {
		return &DecodeError{Msg: "expected a string, got " + kindName(k)}
	}
	tok, err := dec.ReadToken()
	p.Kind = k
	if k == '"' {
		p.S = tok.String()
	}
	return err
}

// MarshalJSONTo writes the string, or null.
func (p OptString) MarshalJSONTo(enc *jsontext.Encoder) error {
	if p.Kind == 'n' {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteToken(jsontext.String(p.S))
}

// Strings is a string or an array of strings; it is written as an array.
type Strings []string

// UnmarshalJSONFrom reads a string, an array of strings or null.
func (s *Strings) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case '"':
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*s = append(*s, tok.String())
		return nil
	case 'n':
		_, err := dec.ReadToken()
		return err
	}
	// Unmarshalling replaces a slice; tags given twice (tags and
	// metadata.tags) accumulate instead.
	var list []string
	err := json.UnmarshalDecode(dec, &list)
	*s = append(*s, list...)
	return err
}

// MarshalJSONTo writes the strings as an array.
func (s Strings) MarshalJSONTo(enc *jsontext.Encoder) error {
	return json.MarshalEncode(enc, []string(s))
}

// Content is a message's content: a string, an array of parts, or null.
type Content struct {
	Text  string
	Parts []Part
	// Kind is '"' for a string, '[' for parts, 'n' for null and 0 when
	// absent.
	Kind jsontext.Kind
}

// UnmarshalJSONFrom reads a string, an array of parts or null.
func (c *Content) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch k := dec.PeekKind(); k {
	case '"':
		tok, err := dec.ReadToken()
		c.Text, c.Kind = tok.String(), k
		return err
	case '[':
		c.Kind = k
		return json.UnmarshalDecode(dec, &c.Parts)
	case 'n':
		c.Kind = k
		_, err := dec.ReadToken()
		return err
	default:
		return &DecodeError{Msg: "expected a string or an array of content parts, got " + kindName(k)}
	}
}

// MarshalJSONTo writes the content in the form Kind says, "" when absent.
func (c Content) MarshalJSONTo(enc *jsontext.Encoder) error {
	switch c.Kind {
	case '[':
		return json.MarshalEncode(enc, c.Parts)
	case 'n':
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteToken(jsontext.String(c.Text))
}

// UnmarshalJSONFrom reads an image_url object or a bare URL string.
func (u *ImageURL) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch k := dec.PeekKind(); k {
	case '"':
		tok, err := dec.ReadToken()
		u.URL = tok.String()
		return err
	case '{':
		type plain ImageURL // without this method
		return json.UnmarshalDecode(dec, (*plain)(u))
	default:
		return &DecodeError{Msg: "expected a JSON object, got " + kindName(k)}
	}
}

// ToolChoice is tool_choice: a mode string (none, auto, required) or an
// object naming a function, when Mode is "function".
type ToolChoice struct {
	Mode     string
	Function string
}

type toolChoiceObject struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

// UnmarshalJSONFrom reads a mode string or a function object.
func (tc *ToolChoice) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		tc.Mode = tok.String()
		return err
	}
	var o toolChoiceObject
	err := json.UnmarshalDecode(dec, &o)
	tc.Mode, tc.Function = "function", o.Function.Name
	return err
}

// MarshalJSONTo writes the mode, or the function object.
func (tc ToolChoice) MarshalJSONTo(enc *jsontext.Encoder) error {
	if tc.Mode != "function" {
		return enc.WriteToken(jsontext.String(tc.Mode))
	}
	o := toolChoiceObject{Type: "function"}
	o.Function.Name = tc.Function
	return json.MarshalEncode(enc, &o)
}

// kindName names a JSON kind with its article, for messages such as
// "expected a string, got a number".
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '0':
		return "a number"
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "nothing"
}

// isNull reports whether a raw member is absent or null.
func isNull(v jsontext.Value) bool { return len(v) == 0 || v[0] == 'n' }

// ObjectType is the "object" member that names a document's type. Decoding
// skips it: upstreams are not held to it.
type ObjectType string

// UnmarshalJSONFrom skips the value.
func (o *ObjectType) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return dec.SkipValue() }

// Raw is a JSON value kept verbatim, nil when null or absent.
type Raw []byte

// UnmarshalJSONFrom keeps a copy of the value, unless it is null.
func (r *Raw) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == 'n' {
		*r = nil
		return dec.SkipValue()
	}
	v, err := dec.ReadValue()
	*r = bytes.Clone(v)
	return err
}

// MarshalJSONTo writes the value, or null.
func (r Raw) MarshalJSONTo(enc *jsontext.Encoder) error {
	if r == nil {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteValue(jsontext.Value(r))
}

// Scalar is a member some servers send as a string and others as a number
// (an error's code and param); other values read as "". An empty Scalar is
// written as null, as OpenAI writes an absent code.
type Scalar string

// UnmarshalJSONFrom reads a string or a number's text.
func (s *Scalar) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case '"':
		tok, err := dec.ReadToken()
		*s = Scalar(tok.String())
		return err
	case '0':
		v, err := dec.ReadValue()
		*s = Scalar(v)
		return err
	}
	*s = ""
	return dec.SkipValue()
}

// MarshalJSONTo writes the string, or null when empty.
func (s Scalar) MarshalJSONTo(enc *jsontext.Encoder) error {
	if s == "" {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteToken(jsontext.String(string(s)))
}
