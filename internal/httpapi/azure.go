package httpapi

import (
	"bytes"
	"encoding/json"
)

// registerAzure mounts the Azure OpenAI routes the Azure SDKs call
// (AzureOpenAI with azure_endpoint set to the gateway): the deployment in
// the path is the model, ?api-version= is accepted and not needed, and the
// key comes in the api-key header (auth.KeyFromRequest reads it). LiteLLM's
// /engines/{deployment}/… spelling of the same routes is served too.
func (d *DataPlane) registerAzure(mux Mux) {
	for _, prefix := range []string{"/openai/deployments/{deployment}", "/engines/{deployment}"} {
		handle(mux, "POST", prefix+"/chat/completions", d.authed(d.chat))
		handle(mux, "POST", prefix+"/completions", d.authed(d.completions))
		handle(mux, "POST", prefix+"/embeddings", d.authed(d.embeddings))
		handle(mux, "POST", prefix+"/images/generations", d.authed(d.images))
	}
}

// withModel returns a JSON object body with "model" set to model first.
// The caller also sets the decoded model, so a "model" the body carries
// itself cannot win whichever duplicate the decoder keeps; a body that is
// not an object is returned as it is, for the decoder to refuse.
func withModel(body []byte, model string) []byte {
	rest := bytes.TrimLeft(body, " \t\r\n")
	if len(rest) == 0 || rest[0] != '{' {
		return body
	}
	rest = rest[1:]
	out := make([]byte, 0, len(body)+len(model)+12)
	out = append(out, `{"model":`...)
	quoted, _ := json.Marshal(model) // a string always encodes
	out = append(out, quoted...)
	if t := bytes.TrimLeft(rest, " \t\r\n"); len(t) > 0 && t[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}
