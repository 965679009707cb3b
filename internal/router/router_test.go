package router

import (
	"errors"
	"testing"
)

func TestPick(t *testing.T) {
	a := &Deployment{ID: "a", Group: "g", Weight: 3}
	b := &Deployment{ID: "b", Group: "g", Weight: 1}
	solo := &Deployment{ID: "s", Group: "solo"}
	tests := []struct {
		name  string
		model string
		rand  float64
		want  *Deployment
		err   error
	}{
		{"single", "solo", 0.99, solo, nil},
		{"first by weight", "g", 0.0, a, nil},
		{"edge of first", "g", 0.74, a, nil},
		{"second", "g", 0.76, b, nil},
		{"unknown", "nope", 0, nil, ErrModelNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New([]*Deployment{a, b, solo}, &Options{Rand: func() float64 { return tt.rand }})
			got, err := r.Pick(tt.model)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("Pick(%q) = %v, %v; want %v, %v", tt.model, got, err, tt.want, tt.err)
			}
		})
	}
	r := New([]*Deployment{a, b, solo}, nil)
	if got := r.Models(); len(got) != 2 || got[0] != "g" || got[1] != "solo" {
		t.Fatalf("Models() = %v", got)
	}
	if len(r.Deployments()) != 3 {
		t.Fatalf("Deployments() = %v", r.Deployments())
	}
}
