package bedrock

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

var imageFormats = map[string]types.ImageFormat{
	"image/png": types.ImageFormatPng, "image/jpeg": types.ImageFormatJpeg, "image/jpg": types.ImageFormatJpeg,
	"image/gif": types.ImageFormatGif, "image/webp": types.ImageFormatWebp,
}

func imageBlock(img *llm.Image, param string) (types.ImageBlock, error) {
	if img == nil {
		return types.ImageBlock{}, badRequest(param, "image part has no image")
	}
	data, mediaType := img.Data, img.MediaType
	if len(data) == 0 && img.URL != "" {
		if !strings.HasPrefix(img.URL, "data:") {
			return types.ImageBlock{}, unsupportedContent(param+".image_url",
				"bedrock takes images inline (a data: URL or base64 bytes); fetching image URLs such as %q is not supported",
				truncate(img.URL, 60))
		}
		var err error
		data, mediaType, err = parseDataURL(img.URL)
		if err != nil {
			return types.ImageBlock{}, badRequest(param+".image_url", "invalid data URL: %v", err)
		}
	}
	if len(data) == 0 {
		return types.ImageBlock{}, badRequest(param, "image part has no data")
	}
	if mediaType == "" {
		mediaType = http.DetectContentType(data)
	}
	format, ok := imageFormats[strings.ToLower(mediaType)]
	if !ok {
		return types.ImageBlock{}, unsupportedContent(param, "bedrock takes png, jpeg, gif and webp images, not %s", mediaType)
	}
	return types.ImageBlock{Format: format, Source: &types.ImageSourceMemberBytes{Value: data}}, nil
}

// parseDataURL decodes data:[<mediatype>][;base64],<data>.
func parseDataURL(u string) ([]byte, string, error) {
	meta, payload, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok {
		return nil, "", fmt.Errorf("missing comma")
	}
	mediaType, isB64 := strings.CutSuffix(meta, ";base64")
	if !isB64 {
		return nil, "", fmt.Errorf("only base64 data URLs are supported")
	}
	b, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, "", err
	}
	return b, mediaType, nil
}

var documentFormats = map[string]types.DocumentFormat{
	"application/pdf": types.DocumentFormatPdf, "text/csv": types.DocumentFormatCsv,
	"application/msword": types.DocumentFormatDoc,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": types.DocumentFormatDocx,
	"application/vnd.ms-excel": types.DocumentFormatXls,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": types.DocumentFormatXlsx,
	"text/html": types.DocumentFormatHtml, "text/plain": types.DocumentFormatTxt, "text/markdown": types.DocumentFormatMd,
}

// docNameInvalid is compiled on first use, not at every process start.
var docNameInvalid = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9\s\-()\[\]]+|\s{2,}`) })

func documentBlock(d *llm.Document, param string, n int) (types.DocumentBlock, error) {
	if d == nil {
		return types.DocumentBlock{}, badRequest(param, "document part has no document")
	}
	if d.FileID != "" && len(d.Data) == 0 {
		return types.DocumentBlock{}, unsupportedContent(param+".file.file_id",
			"bedrock takes documents inline; uploaded file ids are not supported")
	}
	if len(d.Data) == 0 {
		return types.DocumentBlock{}, badRequest(param, "document part has no data")
	}
	format := types.DocumentFormat(strings.ToLower(d.Format))
	if format == "" {
		format = documentFormats[strings.ToLower(d.MediaType)]
	}
	if format == "" {
		if i := strings.LastIndex(d.Name, "."); i >= 0 {
			format = types.DocumentFormat(strings.ToLower(d.Name[i+1:]))
		}
	}
	valid := false
	for _, f := range format.Values() {
		valid = valid || f == format
	}
	if !valid {
		return types.DocumentBlock{}, unsupportedContent(param, "bedrock takes pdf, csv, doc, docx, xls, xlsx, html, "+
			"txt and md documents; cannot tell the format of this one (format %q, media type %q)", d.Format, d.MediaType)
	}
	// Bedrock names may hold letters, digits, single spaces, hyphens,
	// parentheses and brackets; the name is a label, so clean it rather
	// than refuse the file.
	name := strings.TrimSpace(docNameInvalid().ReplaceAllStringFunc(d.Name, func(s string) string {
		if strings.TrimSpace(s) == "" {
			return " "
		}
		return "-"
	}))
	if name == "" {
		name = fmt.Sprintf("document-%d", n)
	}
	return types.DocumentBlock{Name: aws.String(name), Format: format, Source: &types.DocumentSourceMemberBytes{Value: d.Data}}, nil
}

// checkCacheControls refuses cache_control values that are not JSON
// objects, before any route forwards or interprets them.
func checkCacheControls(req *llm.Request) error {
	isObject := func(raw json.RawMessage) bool {
		var m map[string]json.RawMessage
		return json.Unmarshal(raw, &m) == nil && m != nil
	}
	for i := range req.Messages {
		for j, p := range req.Messages[i].Content {
			if len(p.CacheControl) > 0 && !isObject(p.CacheControl) {
				return badRequest(fmt.Sprintf("messages[%d].content[%d].cache_control", i, j), "cache_control must be a JSON object")
			}
		}
	}
	for i, t := range req.Tools {
		if len(t.CacheControl) > 0 && !isObject(t.CacheControl) {
			return badRequest(fmt.Sprintf("tools[%d].cache_control", i), "cache_control must be a JSON object")
		}
	}
	return nil
}

// cachePoint reads an Anthropic/OpenAI-style cache_control object; its ttl
// ("5m", "1h") carries over, its type is always Bedrock's "default".
func cachePoint(cc json.RawMessage) types.CachePointBlock {
	cp := types.CachePointBlock{Type: types.CachePointTypeDefault}
	var v struct {
		TTL string `json:"ttl"`
	}
	if len(cc) > 0 && json.Unmarshal(cc, &v) == nil {
		switch v.TTL {
		case string(types.CacheTTLFiveMinutes), string(types.CacheTTLOneHour):
			cp.Ttl = types.CacheTTL(v.TTL)
		}
	}
	return cp
}
