package runtimeapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// preludeDelimiter ends the JSON prelude of a streamed HTTP integration
// response (content type application/vnd.awslambda.http-integration-response).
const preludeDelimiter = "\x00\x00\x00\x00\x00\x00\x00\x00"

// Prelude is the metadata a streamed HTTP integration response starts with,
// in the function URL or the API Gateway REST form.
type Prelude struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
}

// Header returns the values of the named header, from either map, joined
// with commas. The name must be given as the function wrote it (usually
// canonical, as net/http writes it).
func (p *Prelude) Header(name string) string {
	if vs, ok := p.MultiValueHeaders[name]; ok {
		return strings.Join(vs, ",")
	}
	return p.Headers[name]
}

// SplitStream splits a streamed HTTP integration response into its prelude
// and body.
func SplitStream(b []byte) (*Prelude, []byte, error) {
	meta, body, ok := bytes.Cut(b, []byte(preludeDelimiter))
	if !ok {
		return nil, nil, errors.New("runtimeapitest: no prelude delimiter in the response")
	}
	var p Prelude
	if err := json.Unmarshal(meta, &p); err != nil {
		return nil, nil, fmt.Errorf("runtimeapitest: decoding the prelude %q: %w", meta, err)
	}
	return &p, body, nil
}
