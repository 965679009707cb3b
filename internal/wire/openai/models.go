package openai

// Model is one entry of GET /v1/models.
type Model struct {
	ID      string
	Created int64
	OwnedBy string
}

// AppendModel appends one model object to dst.
func AppendModel(dst []byte, m Model) []byte {
	e := enc{b: dst}
	e.open()
	e.str("id", m.ID)
	e.str("object", "model")
	e.int("created", m.Created)
	e.str("owned_by", m.OwnedBy)
	e.close()
	return e.b
}

// AppendModelList appends the list object of GET /v1/models to dst.
func AppendModelList(dst []byte, models []Model) []byte {
	dst = append(dst, `{"object":"list","data":[`...)
	for i := range models {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendModel(dst, models[i])
	}
	return append(dst, "]}"...)
}
