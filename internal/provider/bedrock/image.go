package bedrock

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

// GenerateImage generates images with the deployment's image model.
func (a *Adapter) GenerateImage(ctx context.Context, req *llm.ImageRequest) (*llm.ImageResponse, error) {
	if strings.TrimSpace(req.Prompt) == "" {
		return nil, badRequest("prompt", "prompt is empty")
	}
	n := 1
	if req.N != nil {
		n = *req.N
	}
	if n < 1 || n > 5 {
		return nil, badRequest("n", "bedrock image models generate 1 to 5 images per request, not %d", n)
	}
	p := params{drop: a.dropParams(req.Gateway)}
	extra := map[string]json.RawMessage{}
	for _, f := range req.Extra {
		extra[f.Name] = f.Value
	}
	var (
		images []string
		err    error
	)
	switch fam := a.family; {
	case isFamily(fam, "amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2", "amazon.nova-canvas-v1"):
		images, err = a.imageTitan(ctx, req, n, extra, p)
	case isFamily(fam, "stability.sd3", "stability.stable-image"):
		images, err = a.imageStability(ctx, req, n, extra, p)
	default:
		return nil, unsupportedContent("model", "bedrock image generation supports Titan image v1/v2, Nova Canvas "+
			"and Stability SD3 / Stable Image; %q is none of these (set base_model for an ARN)", a.opts.ModelID)
	}
	if err != nil {
		return nil, err
	}
	out := &llm.ImageResponse{Created: a.opts.Now().Unix()}
	for _, b64 := range images {
		img := llm.GeneratedImage{B64JSON: b64}
		if req.ResponseFormat == "url" {
			// Bedrock returns bytes, never a hosted URL; a data URL keeps
			// the url contract without storing the image anywhere.
			img = llm.GeneratedImage{URL: "data:image/png;base64," + b64}
		}
		out.Images = append(out.Images, img)
	}
	return out, nil
}

func parseSize(size string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(size), "x")
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil || w <= 0 || h <= 0 {
		return 0, 0, badRequest("size", "size %q is not WIDTHxHEIGHT", size)
	}
	return w, h, nil
}

type titanImageRequest struct {
	TaskType          string           `json:"taskType"`
	TextToImageParams titanTextToImage `json:"textToImageParams"`
	Config            titanImageConfig `json:"imageGenerationConfig"`
}

type titanTextToImage struct {
	Text         string `json:"text"`
	NegativeText string `json:"negativeText,omitempty"`
	Style        string `json:"style,omitempty"`
}

type titanImageConfig struct {
	NumberOfImages int             `json:"numberOfImages"`
	Width          int             `json:"width,omitempty"`
	Height         int             `json:"height,omitempty"`
	Quality        string          `json:"quality,omitempty"`
	CfgScale       json.RawMessage `json:"cfgScale,omitempty"`
	Seed           json.RawMessage `json:"seed,omitempty"`
}

// imageTitan serves Titan image v1/v2 and Nova Canvas, which share the
// TEXT_IMAGE body.
func (a *Adapter) imageTitan(ctx context.Context, req *llm.ImageRequest, n int, extra map[string]json.RawMessage,
	p params) ([]string, error) {
	got, err := takeExtra(extra, p, "negative_prompt", "negativeText", "cfgScale", "cfg_scale", "seed", "style")
	if err != nil {
		return nil, err
	}
	body := titanImageRequest{TaskType: "TEXT_IMAGE", TextToImageParams: titanTextToImage{Text: req.Prompt},
		Config: titanImageConfig{NumberOfImages: n}}
	if req.Size != "" {
		if body.Config.Width, body.Config.Height, err = parseSize(req.Size); err != nil {
			return nil, err
		}
	}
	switch strings.ToLower(req.Quality) {
	case "", "auto":
	case "hd", "high":
		body.Config.Quality = "premium"
	case "standard", "medium", "low":
		body.Config.Quality = "standard"
	default:
		return nil, badRequest("quality", "unknown quality %q", req.Quality)
	}
	if req.Style != "" {
		// OpenAI's vivid/natural have no Titan or Nova Canvas counterpart.
		if err := p.unsupported("style"); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"negative_prompt", "negativeText", "style"} {
		if raw, ok := got[k]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, badRequest(k, "%s must be a string", k)
			}
			if k == "style" {
				body.TextToImageParams.Style = s
			} else {
				body.TextToImageParams.NegativeText = s
			}
		}
	}
	for _, k := range []string{"cfgScale", "cfg_scale"} {
		if raw, ok := got[k]; ok {
			body.Config.CfgScale = raw
		}
	}
	body.Config.Seed = got["seed"]
	res, err := a.invoke(ctx, body, nil, upstream.MaxImageBytes)
	if err != nil {
		return nil, err
	}
	var r struct {
		Images []string `json:"images"`
		Error  *string  `json:"error"`
	}
	if err := decodeBody("image generation", res.body, &r); err != nil {
		return nil, err
	}
	if r.Error != nil && *r.Error != "" {
		return nil, contentPolicy(*r.Error)
	}
	return r.Images, nil
}

// stabilityRatios are the aspect ratios Stability models on Bedrock accept.
var stabilityRatios = map[string]bool{
	"16:9": true, "1:1": true, "21:9": true, "2:3": true, "3:2": true, "4:5": true, "5:4": true, "9:16": true, "9:21": true,
}

func aspectRatio(size string) (string, error) {
	w, h, err := parseSize(size)
	if err != nil {
		return "", err
	}
	g := gcd(w, h)
	r := fmt.Sprintf("%d:%d", w/g, h/g)
	if !stabilityRatios[r] {
		return "", badRequest("size", "Stability models take aspect ratios 16:9, 1:1, 21:9, 2:3, 3:2, 4:5, 5:4, "+
			"9:16 or 9:21; size %s is %s", size, r)
	}
	return r, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

type stabilityRequest struct {
	Prompt         string          `json:"prompt"`
	AspectRatio    string          `json:"aspect_ratio,omitempty"`
	OutputFormat   string          `json:"output_format"`
	NegativePrompt string          `json:"negative_prompt,omitempty"`
	Seed           json.RawMessage `json:"seed,omitempty"`
}

// imageStability serves SD3 and Stable Image models, one image per call.
func (a *Adapter) imageStability(ctx context.Context, req *llm.ImageRequest, n int, extra map[string]json.RawMessage,
	p params) ([]string, error) {
	got, err := takeExtra(extra, p, "negative_prompt", "seed")
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name string
		set  bool
	}{{"quality", req.Quality != "" && req.Quality != "auto"}, {"style", req.Style != ""}} {
		if c.set {
			if err := p.unsupported(c.name); err != nil {
				return nil, err
			}
		}
	}
	body := stabilityRequest{Prompt: req.Prompt, OutputFormat: "png", Seed: got["seed"]}
	if raw, ok := got["negative_prompt"]; ok {
		if err := json.Unmarshal(raw, &body.NegativePrompt); err != nil {
			return nil, badRequest("negative_prompt", "negative_prompt must be a string")
		}
	}
	if req.Size != "" {
		if body.AspectRatio, err = aspectRatio(req.Size); err != nil {
			return nil, err
		}
	}
	var images []string
	for range n {
		res, err := a.invoke(ctx, body, nil, upstream.MaxImageBytes)
		if err != nil {
			return nil, err
		}
		var r struct {
			Images        []string  `json:"images"`
			FinishReasons []*string `json:"finish_reasons"`
		}
		if err := decodeBody("Stability", res.body, &r); err != nil {
			return nil, err
		}
		for _, fr := range r.FinishReasons {
			if fr != nil && *fr != "" {
				return nil, contentPolicy(*fr)
			}
		}
		images = append(images, r.Images...)
	}
	return images, nil
}

func contentPolicy(reason string) *provider.Error {
	return &provider.Error{Kind: provider.KindContentPolicy, Provider: providerName,
		Status: provider.StatusFor(provider.KindContentPolicy), Type: "invalid_request_error",
		Code: "content_policy_violation", Message: "the image model refused: " + reason}
}
