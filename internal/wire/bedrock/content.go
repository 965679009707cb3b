package bedrock

import (
	"strings"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

func decodeMessages(v []byte, out []llm.Message) ([]llm.Message, error) {
	it, ok := rawjson.Array(v)
	if !ok {
		return nil, wrongType("an array", v)
	}
	if n := rawjson.ArrayLen(v); n == 0 {
		return out, nil
	} else if out == nil {
		// One more than the Converse messages leaves room for the system
		// message; tool results may add a few more.
		out = make([]llm.Message, 0, n+1)
	}
	for it.Next() {
		var err error
		if out, err = decodeMessage(it.Value(), out); err != nil {
			return nil, atIndex(err, "", it.Index())
		}
	}
	return out, nil
}

// decodeMessage appends the neutral messages for one Converse message to out:
// one tool message per toolResult block, then the message itself unless it
// held nothing but tool results.
func decodeMessage(v []byte, out []llm.Message) ([]llm.Message, error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return nil, wrongType("an object", v)
	}
	var roleName string
	var content []byte
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "role":
			roleName, err = str(obj.Value())
		case "content":
			content = obj.Value()
		default:
			return nil, unknownField(&obj)
		}
		if err != nil {
			return nil, at(err, string(obj.Key()))
		}
	}
	var role llm.Role
	switch roleName {
	case "":
		return nil, required("role")
	case "user":
		role = llm.RoleUser
	case "assistant":
		role = llm.RoleAssistant
	case "system":
		role = llm.RoleSystem
	default:
		return nil, &DecodeError{Field: "role", Message: `must be "user", "assistant" or "system", got ` + quote(roleName)}
	}
	if content == nil {
		return nil, required("content")
	}
	it, ok := rawjson.Array(content)
	if !ok {
		return nil, at(wrongType("an array", content), "content")
	}
	msg := llm.Message{Role: role}
	results := 0
	for it.Next() {
		key, val, err := union(it.Value())
		if err != nil {
			return nil, atIndex(err, "content", it.Index())
		}
		switch k := string(key); k {
		case "toolResult":
			if role != llm.RoleUser {
				err = &DecodeError{Message: "is only valid in a user message"}
				break
			}
			var tm llm.Message
			if tm, err = decodeToolResult(val); err == nil {
				out = append(out, tm)
				results++
			}
		case "toolUse":
			if role != llm.RoleAssistant {
				err = &DecodeError{Message: "is only valid in an assistant message"}
				break
			}
			var tc llm.ToolCall
			if tc, err = decodeToolUse(val); err == nil {
				msg.ToolCalls = append(msg.ToolCalls, tc)
			}
		case "reasoningContent":
			if role != llm.RoleAssistant {
				err = &DecodeError{Message: "is only valid in an assistant message"}
				break
			}
			err = decodeReasoning(val, &msg)
		case "text", "cachePoint", "guardContent":
			var p llm.Part
			if p, err = decodePart(k, val); err == nil {
				msg.Content = append(msg.Content, p)
			}
		default:
			if role == llm.RoleSystem {
				// A system turn holds what the system blocks may hold.
				err = &DecodeError{Message: "is not valid in a system message"}
				break
			}
			var p llm.Part
			if p, err = decodePart(k, val); err == nil {
				msg.Content = append(msg.Content, p)
			}
		}
		if err != nil {
			return nil, atIndex(at(err, string(key)), "content", it.Index())
		}
	}
	if role == llm.RoleUser && results > 0 && len(msg.Content) == 0 {
		return out, nil
	}
	return append(out, msg), nil
}

// decodePart decodes a content block that becomes a message part. key names
// the union member that is set.
func decodePart(key string, v []byte) (llm.Part, error) {
	switch key {
	case "text":
		s, err := str(v)
		return llm.Part{Type: llm.PartText, Text: s}, err
	case "image":
		im, err := decodeImage(v)
		return llm.Part{Type: llm.PartImage, Image: im}, err
	case "document":
		doc, err := decodeDocument(v)
		return llm.Part{Type: llm.PartDocument, Document: doc}, err
	case "audio":
		au, err := decodeAudio(v)
		return llm.Part{Type: llm.PartAudio, Audio: au}, err
	case "cachePoint":
		return llm.Part{Type: llm.PartCachePoint, CacheControl: v}, checkCachePoint(v)
	case "guardContent":
		return decodeGuardContent(v)
	case "video":
		return llm.Part{}, unsupported("", "video content has no equivalent in the neutral model")
	case "citationsContent", "searchResult", "toolAddition", "toolRemoval":
		return llm.Part{}, unsupported("", "this content block has no equivalent in the neutral model")
	}
	return llm.Part{}, &DecodeError{Message: "unknown content block type"}
}

func imageMediaType(format string) string {
	switch format {
	case "png", "jpeg", "gif", "webp":
		return "image/" + format
	}
	return ""
}

func decodeImage(v []byte) (*llm.Image, error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return nil, wrongType("an object", v)
	}
	im := &llm.Image{}
	var format string
	var source []byte
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "format":
			format, err = str(obj.Value())
		case "source":
			source = obj.Value()
		default:
			return nil, unknownField(&obj)
		}
		if err != nil {
			return nil, at(err, string(obj.Key()))
		}
	}
	if format == "" {
		return nil, required("format")
	}
	if im.MediaType = imageMediaType(format); im.MediaType == "" {
		return nil, &DecodeError{Field: "format", Message: "must be one of png, jpeg, gif, webp, got " + quote(format)}
	}
	if source == nil {
		return nil, required("source")
	}
	key, val, err := union(source)
	if err != nil {
		return nil, at(err, "source")
	}
	switch string(key) {
	case "bytes":
		im.Data, err = blob(val)
	case "s3Location":
		im.URL, err = decodeS3Location(val)
	default:
		err = &DecodeError{Message: "unknown image source"}
	}
	return im, at(at(err, string(key)), "source")
}

func documentMediaType(format string) string {
	switch format {
	case "pdf":
		return "application/pdf"
	case "csv":
		return "text/csv"
	case "doc":
		return "application/msword"
	case "docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case "xls":
		return "application/vnd.ms-excel"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "html":
		return "text/html"
	case "txt":
		return "text/plain"
	case "md":
		return "text/markdown"
	}
	return ""
}

func decodeDocument(v []byte) (*llm.Document, error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return nil, wrongType("an object", v)
	}
	doc := &llm.Document{}
	var source []byte
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "format":
			if doc.Format, err = str(obj.Value()); err == nil {
				if doc.MediaType = documentMediaType(doc.Format); doc.MediaType == "" {
					err = &DecodeError{Message: "must be one of pdf, csv, doc, docx, xls, xlsx, html, txt, md, got " +
						quote(doc.Format)}
				}
			}
		case "name":
			doc.Name, err = nonEmptyStr(obj.Value())
		case "source":
			source = obj.Value()
		case "context", "citations":
			err = unsupported("", "document context and citations have no equivalent in the neutral model")
		default:
			return nil, unknownField(&obj)
		}
		if err != nil {
			return nil, at(err, string(obj.Key()))
		}
	}
	if doc.Name == "" {
		return nil, required("name")
	}
	if source == nil {
		return nil, required("source")
	}
	key, val, err := union(source)
	if err != nil {
		return nil, at(err, "source")
	}
	switch string(key) {
	case "bytes":
		doc.Data, err = blob(val)
	case "text":
		var s string
		if s, err = str(val); err == nil {
			doc.Data = []byte(s)
		}
	case "s3Location":
		doc.FileID, err = decodeS3Location(val)
	case "content":
		err = unsupported("", "structured document content has no equivalent in the neutral model")
	default:
		err = &DecodeError{Message: "unknown document source"}
	}
	return doc, at(at(err, string(key)), "source")
}

func decodeAudio(v []byte) (*llm.Audio, error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return nil, wrongType("an object", v)
	}
	au := &llm.Audio{}
	var source []byte
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "format":
			au.Format, err = nonEmptyStr(obj.Value())
		case "source":
			source = obj.Value()
		default:
			return nil, unknownField(&obj)
		}
		if err != nil {
			return nil, at(err, string(obj.Key()))
		}
	}
	if au.Format == "" {
		return nil, required("format")
	}
	if source == nil {
		return nil, required("source")
	}
	key, val, err := union(source)
	if err != nil {
		return nil, at(err, "source")
	}
	switch string(key) {
	case "bytes":
		au.Data, err = blob(val)
	case "s3Location":
		err = unsupported("", "audio is carried inline only")
	default:
		err = &DecodeError{Message: "unknown audio source"}
	}
	return au, at(at(err, string(key)), "source")
}

// decodeS3Location returns the object's s3:// URI. The neutral model carries
// an S3 location as that URI alone, so a bucket owner cannot be honoured and
// is refused rather than dropped.
func decodeS3Location(v []byte) (string, error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return "", wrongType("an object", v)
	}
	var uri string
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "uri":
			if uri, err = str(obj.Value()); err == nil && (!strings.HasPrefix(uri, "s3://") || len(uri) == len("s3://")) {
				err = &DecodeError{Message: `must be an "s3://bucket/key" URI`}
			}
		case "bucketOwner":
			err = unsupported("", "S3 locations are forwarded as s3:// URIs only")
		default:
			return "", unknownField(&obj)
		}
		if err != nil {
			return "", at(err, string(obj.Key()))
		}
	}
	if uri == "" {
		return "", required("uri")
	}
	return uri, nil
}

func checkCachePoint(v []byte) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	typ := ""
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		s, err := str(obj.Value())
		switch string(obj.Key()) {
		case "type":
			if typ = s; err == nil && s != "default" {
				err = &DecodeError{Message: `must be "default", got ` + quote(s)}
			}
		case "ttl":
			if err == nil && s != "5m" && s != "1h" {
				err = &DecodeError{Message: `must be "5m" or "1h", got ` + quote(s)}
			}
		default:
			return unknownField(&obj)
		}
		if err != nil {
			return at(err, string(obj.Key()))
		}
	}
	if typ == "" {
		return required("type")
	}
	return nil
}

// decodeGuardContent turns guardContent into the text or image part the model
// sees. The guardrail qualifiers are checked but not carried.
func decodeGuardContent(v []byte) (llm.Part, error) {
	key, val, err := union(v)
	if err != nil {
		return llm.Part{}, err
	}
	switch string(key) {
	case "text":
		p := llm.Part{Type: llm.PartText}
		obj, ok := rawjson.Object(val)
		if !ok {
			return p, at(wrongType("an object", val), "text")
		}
		set := false
		for obj.Next() {
			if rawjson.IsNull(obj.Value()) {
				continue
			}
			var err error
			switch string(obj.Key()) {
			case "text":
				set = true
				p.Text, err = str(obj.Value())
			case "qualifiers":
				err = checkStringList(obj.Value())
			default:
				return p, at(unknownField(&obj), "text")
			}
			if err != nil {
				return p, at(at(err, string(obj.Key())), "text")
			}
		}
		if !set {
			return p, required("text.text")
		}
		return p, nil
	case "image":
		im, err := decodeImage(val)
		switch {
		case err != nil:
		case im.URL != "":
			err = &DecodeError{Field: "source.s3Location", Message: "guard content images are inline only"}
		case im.MediaType != "image/png" && im.MediaType != "image/jpeg":
			err = &DecodeError{Field: "format", Message: "guard content images must be png or jpeg"}
		}
		return llm.Part{Type: llm.PartImage, Image: im}, at(err, "image")
	}
	return llm.Part{}, &DecodeError{Field: string(key), Message: "unknown guard content type"}
}

func decodeToolUse(v []byte) (llm.ToolCall, error) {
	tc := llm.ToolCall{Type: "function"}
	obj, ok := rawjson.Object(v)
	if !ok {
		return tc, wrongType("an object", v)
	}
	var input []byte
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "toolUseId":
			tc.ID, err = nonEmptyStr(obj.Value())
		case "name":
			tc.Name, err = nonEmptyStr(obj.Value())
		case "input":
			input = obj.Value()
		case "type":
			err = unsupported("", "server tool use has no equivalent in the neutral model")
		default:
			return tc, unknownField(&obj)
		}
		if err != nil {
			return tc, at(err, string(obj.Key()))
		}
	}
	switch {
	case tc.ID == "":
		return tc, required("toolUseId")
	case tc.Name == "":
		return tc, required("name")
	case input == nil:
		return tc, required("input")
	}
	tc.Arguments = string(input)
	return tc, nil
}

func decodeToolResult(v []byte) (llm.Message, error) {
	m := llm.Message{Role: llm.RoleTool}
	obj, ok := rawjson.Object(v)
	if !ok {
		return m, wrongType("an object", v)
	}
	var content []byte
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "toolUseId":
			m.ToolCallID, err = nonEmptyStr(obj.Value())
		case "content":
			content = obj.Value()
		case "status":
			var s string
			if s, err = str(obj.Value()); err == nil && s != "success" && s != "error" {
				err = &DecodeError{Message: `must be "success" or "error", got ` + quote(s)}
			}
		case "type":
			err = unsupported("", "server tool results have no equivalent in the neutral model")
		default:
			return m, unknownField(&obj)
		}
		if err != nil {
			return m, at(err, string(obj.Key()))
		}
	}
	if m.ToolCallID == "" {
		return m, required("toolUseId")
	}
	if content == nil {
		return m, required("content")
	}
	it, ok := rawjson.Array(content)
	if !ok {
		return m, at(wrongType("an array", content), "content")
	}
	for it.Next() {
		key, val, err := union(it.Value())
		if err != nil {
			return m, atIndex(err, "content", it.Index())
		}
		var p llm.Part
		switch k := string(key); k {
		case "json":
			// OpenAI tool messages carry text, so JSON results travel as
			// their JSON text.
			p = llm.Part{Type: llm.PartText, Text: string(val)}
		case "text", "image", "document":
			p, err = decodePart(k, val)
		case "video", "searchResult":
			err = unsupported("", "this tool result content has no equivalent in the neutral model")
		default:
			err = &DecodeError{Message: "unknown tool result content type"}
		}
		if err != nil {
			return m, atIndex(at(err, string(key)), "content", it.Index())
		}
		m.Content = append(m.Content, p)
	}
	return m, nil
}

// decodeReasoning merges a reasoningContent block into msg.Reasoning. The
// neutral model holds one reasoning text and one redacted blob per message.
func decodeReasoning(v []byte, msg *llm.Message) error {
	key, val, err := union(v)
	if err != nil {
		return err
	}
	if msg.Reasoning == nil {
		msg.Reasoning = &llm.Reasoning{}
	}
	r := msg.Reasoning
	switch string(key) {
	case "reasoningText":
		if r.Text != "" || r.Signature != "" {
			return &DecodeError{Field: "reasoningText", Message: "only one reasoningText block per message is supported"}
		}
		obj, ok := rawjson.Object(val)
		if !ok {
			return at(wrongType("an object", val), "reasoningText")
		}
		set := false
		for obj.Next() {
			if rawjson.IsNull(obj.Value()) {
				continue
			}
			var err error
			switch string(obj.Key()) {
			case "text":
				set = true
				r.Text, err = str(obj.Value())
			case "signature":
				r.Signature, err = str(obj.Value())
			default:
				return at(unknownField(&obj), "reasoningText")
			}
			if err != nil {
				return at(at(err, string(obj.Key())), "reasoningText")
			}
		}
		if !set {
			return required("reasoningText.text")
		}
		return nil
	case "redactedContent":
		if r.Redacted != nil {
			return &DecodeError{Field: "redactedContent", Message: "only one redactedContent block per message is supported"}
		}
		r.Redacted, err = blob(val)
		return at(err, "redactedContent")
	}
	return &DecodeError{Field: string(key), Message: "unknown reasoning content type"}
}

// decodeSystem decodes the system blocks into one system message.
func decodeSystem(v []byte) (*llm.Message, error) {
	it, ok := rawjson.Array(v)
	if !ok {
		return nil, wrongType("an array", v)
	}
	msg := &llm.Message{Role: llm.RoleSystem}
	for it.Next() {
		key, val, err := union(it.Value())
		if err != nil {
			return nil, atIndex(err, "", it.Index())
		}
		var p llm.Part
		switch k := string(key); k {
		case "text", "cachePoint", "guardContent":
			p, err = decodePart(k, val)
		default:
			err = &DecodeError{Message: "unknown system content block type"}
		}
		if err != nil {
			return nil, atIndex(at(err, string(key)), "", it.Index())
		}
		msg.Content = append(msg.Content, p)
	}
	return msg, nil
}
