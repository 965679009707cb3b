package router

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWildcardBuiltOncePerName: concurrent first requests for one name
// build it once; past maxBuilt names the least recently used are dropped,
// not every later name rebuilt on every request.
func TestWildcardBuiltOncePerName(t *testing.T) {
	tmpl := &Deployment{ID: "bw", Group: "bedrock/*", Provider: "bedrock", ModelID: "*"}
	var builds atomic.Int64
	release := make(chan struct{})
	r := New([]*Deployment{tmpl}, &Options{Build: func(t *Deployment, id string) (*Deployment, error) {
		if id == "slow" {
			<-release
		}
		builds.Add(1)
		return &Deployment{ID: t.ID + ":" + id, Provider: t.Provider, ModelID: id}, nil
	}})

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := r.Pick("bedrock/slow"); err != nil {
				t.Error(err)
			}
		})
	}
	// Other names are built and served meanwhile: no lock is held while
	// "slow" builds.
	if _, err := r.Pick("bedrock/fast"); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	if n := builds.Load(); n != 2 {
		t.Fatalf("%d builds for two names, want 2", n)
	}

	for i := range maxBuilt + 100 {
		if _, err := r.Pick(fmt.Sprintf("bedrock/m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	before := builds.Load()
	for range 3 {
		if _, err := r.Pick(fmt.Sprintf("bedrock/m%d", maxBuilt+99)); err != nil {
			t.Fatal(err)
		}
	}
	if builds.Load() != before {
		t.Error("a name past maxBuilt is rebuilt on every request")
	}
}
