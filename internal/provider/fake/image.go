package fake

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// imageSide is the width and height of generated images. Whatever size the
// request asks for, a tiny image keeps responses small; clients only need a
// valid PNG.
const imageSide = 8

// GenerateImage returns, after Options.Latency, one small solid-colour PNG
// per requested image, the colour derived from the prompt and the image's
// index. response_format "url" gives a data: URL (there is nowhere to host a
// file); anything else gives b64_json.
func (m *Model) GenerateImage(ctx context.Context, req *llm.ImageRequest) (*llm.ImageResponse, error) {
	if err := checkCount("n", req.N, maxImages); err != nil {
		return nil, err
	}
	if err := wait(ctx, m.opts.Latency); err != nil {
		return nil, err
	}
	n := 1
	if req.N != nil && *req.N > 1 {
		n = *req.N
	}
	resp := &llm.ImageResponse{
		Created: time.Now().Unix(),
		Images:  make([]llm.GeneratedImage, n),
	}
	h := uint64(newFNV().str(req.Prompt))
	img := image.NewNRGBA(image.Rect(0, 0, imageSide, imageSide))
	var buf bytes.Buffer
	for i := range resp.Images {
		c := splitmix(choiceHash(h, i))
		fill(img, color.NRGBA{R: uint8(c), G: uint8(c >> 8), B: uint8(c >> 16), A: 0xff})
		buf.Reset()
		if err := png.Encode(&buf, img); err != nil {
			return nil, err // only a failing writer makes Encode fail; a bytes.Buffer never does
		}
		b64 := base64.StdEncoding.EncodeToString(buf.Bytes())
		gi := &resp.Images[i]
		gi.RevisedPrompt = req.Prompt
		if req.ResponseFormat == "url" {
			gi.URL = "data:image/png;base64," + b64
		} else {
			gi.B64JSON = b64
		}
	}
	prompt := max(tokens(len(req.Prompt)), 1)
	resp.Usage = &llm.Usage{PromptTokens: prompt, TotalTokens: prompt}
	return resp, nil
}

func fill(img *image.NRGBA, c color.NRGBA) {
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
}
