package openai

import "github.com/go-json-experiment/json"

// Model is one entry of GET /v1/models.
type Model struct {
	ID string `json:"id"`
	// Object is always "model"; AppendModel writes it.
	Object  ObjectType `json:"object"`
	Created int64      `json:"created"`
	OwnedBy string     `json:"owned_by"`
}

// ModelList is the body of GET /v1/models.
type ModelList struct {
	Object ObjectType `json:"object"`
	Data   []Model    `json:"data"`
}

// AppendModel appends one model object to dst.
func AppendModel(dst []byte, m Model) []byte {
	m.Object = "model"
	return appendJSON(dst, &m)
}

// AppendModelList appends the list object of GET /v1/models to dst.
func AppendModelList(dst []byte, models []Model) []byte {
	l := ModelList{Object: "list", Data: make([]Model, len(models))}
	for i, m := range models {
		m.Object = "model"
		l.Data[i] = m
	}
	return appendJSON(dst, &l)
}

// appendJSON appends the JSON of a wire struct to dst. The wire structs
// marshal without error: their strings are Go strings (invalid UTF-8 is
// written as U+FFFD) and their raw members hold JSON that was decoded or
// built by this package.
func appendJSON(dst []byte, v any) []byte {
	b, _ := json.Marshal(v, encodeOptions)
	return append(dst, b...)
}
