package llm

import (
	"errors"
	"io"
	"testing"
)

func TestImageInline(t *testing.T) {
	tests := []struct {
		name      string
		im        Image
		mediaType string
		data      string
		err       error
		bad       bool
	}{
		{"bytes", Image{Data: []byte("raw"), MediaType: "image/png"}, "image/png", "raw", nil, false},
		{"base64 data URL", Image{URL: "data:image/jpeg;base64,aGk="}, "image/jpeg", "hi", nil, false},
		{"plain data URL", Image{URL: "data:text/plain,hello"}, "text/plain", "hello", nil, false},
		{"http URL", Image{URL: "https://example.com/cat.png"}, "", "", ErrNotInline, false},
		{"no comma", Image{URL: "data:image/png;base64"}, "", "", nil, true},
		{"bad base64", Image{URL: "data:image/png;base64,@@@"}, "", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt, data, err := tt.im.Inline()
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
			case tt.bad:
				if err == nil {
					t.Fatal("no error for a malformed data URL")
				}
			case err != nil || mt != tt.mediaType || string(data) != tt.data:
				t.Fatalf("got %q %q %v", mt, data, err)
			}
		})
	}
	im := Image{Data: []byte("hi"), MediaType: "image/gif"}
	if got := im.URLString(); got != "data:image/gif;base64,aGk=" {
		t.Fatalf("URLString = %q", got)
	}
	back := Image{URL: im.URLString()}
	if mt, data, err := back.Inline(); err != nil || mt != "image/gif" || string(data) != "hi" {
		t.Fatalf("round trip %q %q %v", mt, data, err)
	}
}

func TestMessageText(t *testing.T) {
	m := Message{Content: []Part{{Type: PartText, Text: "a"}, {Type: PartImage, Image: &Image{URL: "x"}}, {Type: PartText, Text: "b"}}}
	if got := m.Text(); got != "ab" {
		t.Fatalf("Text() = %q", got)
	}
}

func TestSliceStream(t *testing.T) {
	s := &SliceStream{Chunks: []*Chunk{{ID: "1"}, {ID: "2"}}}
	for _, want := range []string{"1", "2"} {
		c, err := s.Recv()
		if err != nil || c.ID != want {
			t.Fatalf("Recv = %v, %v", c, err)
		}
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("after the last chunk: %v", err)
	}
}

func TestUsageAdd(t *testing.T) {
	u := Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}
	u.Add(&Usage{PromptTokens: 10, CompletionTokens: 20, TotalTokens: 30, CacheReadTokens: 4, CacheWriteTokens: 5, ReasoningTokens: 6})
	u.Add(nil)
	if u != (Usage{11, 22, 33, 4, 5, 6}) {
		t.Fatalf("Add = %+v", u)
	}
}
