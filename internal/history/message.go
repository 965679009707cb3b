package history

import (
	"encoding/json"
	"fmt"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// storedMessage is how a message is kept in the store: the provider-neutral
// llm.Message with stable JSON names of our own, so stored history does not
// depend on Go field names or on either wire format, and a conversation
// started on one interface continues on the other without loss.
type storedMessage struct {
	Role          llm.Role         `json:"role"`
	Content       []storedPart     `json:"content,omitempty"`
	Name          string           `json:"name,omitempty"`
	ToolCalls     []storedToolCall `json:"tool_calls,omitempty"`
	ToolCallID    string           `json:"tool_call_id,omitempty"`
	Refusal       string           `json:"refusal,omitempty"`
	Reasoning     *storedReasoning `json:"reasoning,omitempty"`
	StringContent bool             `json:"string_content,omitempty"`
	Extra         []storedField    `json:"extra,omitempty"`
}

type storedPart struct {
	Type         llm.PartType    `json:"type"`
	Text         string          `json:"text,omitempty"`
	Image        *storedImage    `json:"image,omitempty"`
	Document     *storedDocument `json:"document,omitempty"`
	Audio        *storedAudio    `json:"audio,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type storedImage struct {
	URL       string `json:"url,omitempty"`
	Data      []byte `json:"data,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

type storedDocument struct {
	Name      string `json:"name,omitempty"`
	Format    string `json:"format,omitempty"`
	Data      []byte `json:"data,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	FileID    string `json:"file_id,omitempty"`
}

type storedAudio struct {
	Data   []byte `json:"data,omitempty"`
	Format string `json:"format,omitempty"`
}

type storedReasoning struct {
	Text      string `json:"text,omitempty"`
	Signature string `json:"signature,omitempty"`
	Redacted  []byte `json:"redacted,omitempty"`
}

type storedToolCall struct {
	ID        string `json:"id,omitempty"`
	Type      string `json:"type,omitempty"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type storedField struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// encodeMessage returns m's stored form.
func encodeMessage(m *llm.Message) (json.RawMessage, error) {
	s := storedMessage{Role: m.Role, Name: m.Name, ToolCallID: m.ToolCallID, Refusal: m.Refusal, StringContent: m.StringContent}
	for _, p := range m.Content {
		sp := storedPart{Type: p.Type, Text: p.Text, CacheControl: p.CacheControl}
		if p.Image != nil {
			sp.Image = &storedImage{URL: p.Image.URL, Data: p.Image.Data, MediaType: p.Image.MediaType, Detail: p.Image.Detail}
		}
		if p.Document != nil {
			d := p.Document
			sp.Document = &storedDocument{Name: d.Name, Format: d.Format, Data: d.Data, MediaType: d.MediaType, FileID: d.FileID}
		}
		if p.Audio != nil {
			sp.Audio = &storedAudio{Data: p.Audio.Data, Format: p.Audio.Format}
		}
		s.Content = append(s.Content, sp)
	}
	for _, tc := range m.ToolCalls {
		s.ToolCalls = append(s.ToolCalls, storedToolCall(tc))
	}
	if r := m.Reasoning; r != nil {
		s.Reasoning = &storedReasoning{Text: r.Text, Signature: r.Signature, Redacted: r.Redacted}
	}
	for _, f := range m.Extra {
		s.Extra = append(s.Extra, storedField(f))
	}
	b, err := json.Marshal(&s)
	if err != nil {
		return nil, fmt.Errorf("encoding a %s message for history: %w", m.Role, err)
	}
	return b, nil
}

// decodeMessage is the inverse of encodeMessage.
func decodeMessage(role string, raw json.RawMessage) (llm.Message, error) {
	var s storedMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return llm.Message{}, fmt.Errorf("decoding a stored %s message: %w", role, err)
		}
	}
	if s.Role == "" {
		s.Role = llm.Role(role)
	}
	m := llm.Message{Role: s.Role, Name: s.Name, ToolCallID: s.ToolCallID, Refusal: s.Refusal, StringContent: s.StringContent}
	for _, sp := range s.Content {
		p := llm.Part{Type: sp.Type, Text: sp.Text, CacheControl: sp.CacheControl}
		if i := sp.Image; i != nil {
			p.Image = &llm.Image{URL: i.URL, Data: i.Data, MediaType: i.MediaType, Detail: i.Detail}
		}
		if d := sp.Document; d != nil {
			p.Document = &llm.Document{Name: d.Name, Format: d.Format, Data: d.Data, MediaType: d.MediaType, FileID: d.FileID}
		}
		if a := sp.Audio; a != nil {
			p.Audio = &llm.Audio{Data: a.Data, Format: a.Format}
		}
		m.Content = append(m.Content, p)
	}
	for _, tc := range s.ToolCalls {
		m.ToolCalls = append(m.ToolCalls, llm.ToolCall(tc))
	}
	if r := s.Reasoning; r != nil {
		m.Reasoning = &llm.Reasoning{Text: r.Text, Signature: r.Signature, Redacted: r.Redacted}
	}
	for _, f := range s.Extra {
		m.Extra = append(m.Extra, llm.Field(f))
	}
	return m, nil
}
