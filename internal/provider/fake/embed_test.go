package fake

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

func TestEmbed(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		req        *llm.EmbeddingRequest
		wantN      int
		wantDim    int
		wantTokens int
		wantErr    bool
	}{
		{"default dimensions", Options{}, &llm.EmbeddingRequest{Input: []string{"hello"}}, 1, DefaultDimensions, 2, false},
		{"configured dimensions", Options{Dimensions: 16}, &llm.EmbeddingRequest{Input: []string{"a", "b", "a"}}, 3, 16, 3, false},
		{"requested dimensions win", Options{Dimensions: 16}, &llm.EmbeddingRequest{Input: []string{"abcdefgh"}, Dimensions: ptr(3)}, 1, 3, 2, false},
		{"zero dimensions means the default", Options{}, &llm.EmbeddingRequest{Input: []string{"a"}, Dimensions: ptr(0)}, 1, DefaultDimensions, 1, false},
		{"one token array", Options{Dimensions: 4}, &llm.EmbeddingRequest{InputTokens: json.RawMessage(`[1,2,3]`)}, 1, 4, 3, false},
		{"token arrays", Options{Dimensions: 4}, &llm.EmbeddingRequest{InputTokens: json.RawMessage(`[[1,2],[3],[1,2]]`)}, 3, 4, 5, false},
		{"null token input", Options{Dimensions: 4}, &llm.EmbeddingRequest{Input: []string{"x"}, InputTokens: json.RawMessage(`null`)}, 1, 4, 1, false},
		{"bad token input", Options{}, &llm.EmbeddingRequest{InputTokens: json.RawMessage(`{"a":1}`)}, 0, 0, 0, true},
		{"empty input", Options{}, &llm.EmbeddingRequest{}, 0, DefaultDimensions, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Model = "emb"
			resp, err := New(tt.opts).Embed(context.Background(), tt.req)
			if tt.wantErr {
				if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindBadRequest || pe.Param != "input" {
					t.Fatalf("err = %v, want a bad-request provider error on input", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != "emb" || len(resp.Vectors) != tt.wantN {
				t.Fatalf("model %q with %d vectors, want emb with %d", resp.Model, len(resp.Vectors), tt.wantN)
			}
			if resp.Usage.PromptTokens != tt.wantTokens || resp.Usage.TotalTokens != tt.wantTokens {
				t.Errorf("usage = %+v, want %d tokens", *resp.Usage, tt.wantTokens)
			}
			for i, v := range resp.Vectors {
				if len(v) != tt.wantDim {
					t.Fatalf("vector %d has %d dimensions, want %d", i, len(v), tt.wantDim)
				}
				if n := norm(v); math.Abs(n-1) > 1e-5 {
					t.Errorf("vector %d has norm %v, want 1", i, n)
				}
			}
			if tt.wantN == 3 {
				if !equal(resp.Vectors[0], resp.Vectors[2]) {
					t.Error("equal inputs embedded differently")
				}
				if equal(resp.Vectors[0], resp.Vectors[1]) {
					t.Error("different inputs embedded equally")
				}
			}
			again, _ := New(tt.opts).Embed(context.Background(), tt.req)
			for i := range again.Vectors {
				if !equal(again.Vectors[i], resp.Vectors[i]) {
					t.Errorf("vector %d changed between calls", i)
				}
			}
		})
	}
}

func TestEmbedReportsModelID(t *testing.T) {
	resp, err := New(Options{ModelID: "fake/emb"}).Embed(context.Background(), &llm.EmbeddingRequest{Model: "alias", Input: []string{"x"}})
	if err != nil || resp.Model != "fake/emb" {
		t.Fatalf("model %q, err %v; want fake/emb", resp.Model, err)
	}
}

func norm(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGenerateImage(t *testing.T) {
	tests := []struct {
		name    string
		req     *llm.ImageRequest
		wantN   int
		wantURL bool
	}{
		{"default is b64_json", &llm.ImageRequest{Prompt: "a cat"}, 1, false},
		{"explicit b64_json", &llm.ImageRequest{Prompt: "a cat", ResponseFormat: "b64_json"}, 1, false},
		{"url gives data URLs", &llm.ImageRequest{Prompt: "a cat", ResponseFormat: "url", N: ptr(2)}, 2, true},
		{"several images", &llm.ImageRequest{Prompt: "a dog", N: ptr(3), Size: "1024x1024"}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := New(Options{}).GenerateImage(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Images) != tt.wantN || resp.Created == 0 {
				t.Fatalf("%d images created at %d, want %d", len(resp.Images), resp.Created, tt.wantN)
			}
			if want := tokens(len(tt.req.Prompt)); resp.Usage.PromptTokens != want || resp.Usage.TotalTokens != want {
				t.Errorf("usage = %+v, want %d", *resp.Usage, want)
			}
			colours := map[[4]uint32]bool{}
			for i, img := range resp.Images {
				b64 := img.B64JSON
				if tt.wantURL {
					var ok bool
					b64, ok = strings.CutPrefix(img.URL, "data:image/png;base64,")
					if !ok || img.B64JSON != "" {
						t.Fatalf("image %d: url %.40q, b64 %.20q; want only a data URL", i, img.URL, img.B64JSON)
					}
				} else if img.URL != "" {
					t.Errorf("image %d: unexpected URL", i)
				}
				raw, err := base64.StdEncoding.DecodeString(b64)
				if err != nil {
					t.Fatalf("image %d: %v", i, err)
				}
				decoded, err := png.Decode(bytes.NewReader(raw))
				if err != nil {
					t.Fatalf("image %d is not a PNG: %v", i, err)
				}
				if b := decoded.Bounds(); b.Dx() != imageSide || b.Dy() != imageSide {
					t.Errorf("image %d is %v", i, b)
				}
				r, g, bl, a := decoded.At(0, 0).RGBA()
				colours[[4]uint32{r, g, bl, a}] = true
				if img.RevisedPrompt != tt.req.Prompt {
					t.Errorf("revised prompt %q", img.RevisedPrompt)
				}
			}
			if len(colours) != tt.wantN {
				t.Errorf("%d distinct colours among %d images", len(colours), tt.wantN)
			}
			again, _ := New(Options{}).GenerateImage(context.Background(), tt.req)
			if again.Images[0] != resp.Images[0] {
				t.Error("the same prompt gave a different image")
			}
		})
	}
}

func TestEmbedAndImageLatency(t *testing.T) {
	calls := []struct {
		name string
		call func(context.Context, *Model) error
	}{
		{"embed", func(ctx context.Context, m *Model) error {
			_, err := m.Embed(ctx, &llm.EmbeddingRequest{Input: []string{"x"}})
			return err
		}},
		{"image", func(ctx context.Context, m *Model) error {
			_, err := m.GenerateImage(ctx, &llm.ImageRequest{Prompt: "x"})
			return err
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := New(Options{Latency: 700 * time.Millisecond})
				start := time.Now()
				if err := tt.call(t.Context(), m); err != nil || time.Since(start) != 700*time.Millisecond {
					t.Errorf("returned %v after %v, want nil after 700ms", err, time.Since(start))
				}
				ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
				defer cancel()
				start = time.Now()
				if err := tt.call(ctx, m); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 200*time.Millisecond {
					t.Errorf("returned %v after %v, want DeadlineExceeded after 200ms", err, time.Since(start))
				}
			})
		})
	}
}
