package llm

import (
	"encoding/base64"
	"errors"
	"strings"
)

// ErrNotInline is returned by Image.Inline for an image given by http(s) URL.
var ErrNotInline = errors.New("image is given by URL, not inline data")

// Inline returns the image's media type and bytes, decoding a data: URL when
// the image came that way. It returns ErrNotInline for http(s) URLs, which an
// adapter must fetch or refuse.
func (im *Image) Inline() (mediaType string, data []byte, err error) {
	if im.Data != nil {
		return im.MediaType, im.Data, nil
	}
	rest, ok := strings.CutPrefix(im.URL, "data:")
	if !ok {
		return "", nil, ErrNotInline
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return "", nil, errors.New("malformed data URL: no comma")
	}
	mediaType, isB64 := strings.CutSuffix(meta, ";base64")
	if !isB64 {
		return mediaType, []byte(payload), nil
	}
	data, err = base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", nil, errors.New("malformed data URL: bad base64")
	}
	return mediaType, data, nil
}

// URLString returns the image as a URL, building a base64 data: URL from
// inline bytes when needed.
func (im *Image) URLString() string {
	if im.URL != "" || im.Data == nil {
		return im.URL
	}
	mt := im.MediaType
	if mt == "" {
		mt = "application/octet-stream"
	}
	return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(im.Data)
}
