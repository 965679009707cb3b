package openai

import "github.com/tollgate-gw/tollgate/internal/wire/rawjson"

// Model is one entry of GET /v1/models.
type Model struct {
	ID      string
	Created int64
	OwnedBy string
}

// AppendModel appends one model object to dst.
func AppendModel(dst []byte, m Model) []byte {
	e := rawjson.Builder(dst)
	e.OpenObject()
	e.Str("id", m.ID)
	e.Str("object", "model")
	e.Int("created", m.Created)
	e.Str("owned_by", m.OwnedBy)
	e.CloseObject()
	return e
}

// AppendModelList appends the list object of GET /v1/models to dst.
func AppendModelList(dst []byte, models []Model) []byte {
	e := rawjson.Builder(dst)
	e.OpenObject()
	e.Str("object", "list")
	e.Arr("data")
	for i := range models {
		e.Elem()
		e = AppendModel(e, models[i])
	}
	e.CloseArray()
	e.CloseObject()
	return e
}
