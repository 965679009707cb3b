package router

import (
	"errors"
	"strings"
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

// TestReachable: every deployment a call may be served by, for the strict
// reservation: the group's, and those of each kind of fallback the caller
// may use, once each.
func TestReachable(t *testing.T) {
	dep := func(group, id string) *Deployment {
		return &Deployment{ID: id, Group: group, Provider: "openai", ModelID: id}
	}
	deps := []*Deployment{dep("a", "a1"), dep("a", "a2"), dep("b", "b1"), dep("c", "c1"), dep("d", "d1"), dep("e", "e1"), dep("f", "f1")}
	r := New(deps, &Options{Settings: Settings{
		Fallbacks:              map[string][]string{"a": {"b"}},
		ContextWindowFallbacks: map[string][]string{"a": {"c", "b"}},
		ContentPolicyFallbacks: map[string][]string{"*": {"d"}},
		DefaultFallbacks:       []string{"e"},
	}})
	ids := func(ds []*Deployment) string {
		var s []string
		for _, d := range ds {
			s = append(s, d.ID)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name string
		req  *Request
		want string
	}{
		{"every kind of fallback", &Request{Model: "a"}, "a1,a2,c1,b1,d1,e1"},
		{"the request's own", &Request{Model: "a", Fallbacks: []string{"f", "a"}}, "a1,a2,c1,b1,d1,f1,e1"},
		{"only what the caller may use", &Request{Model: "a", Fallbacks: []string{"f"},
			Allow: func(m string) error {
				if m == "a" || m == "b" {
					return nil
				}
				return errors.New("no")
			}}, "a1,a2,b1"},
		{"a group without fallbacks of its own", &Request{Model: "f"}, "f1,d1,e1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(r.Reachable(tc.req)); got != tc.want {
				t.Errorf("Reachable = %s, want %s", got, tc.want)
			}
		})
	}
}
