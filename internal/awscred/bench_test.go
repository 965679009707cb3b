package awscred_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
)

// BenchmarkFirstRequestBurst measures a cold burst: each iteration builds a
// fresh Resolver and sends 200 concurrent Converse calls through real
// bedrockruntime clients. It fails unless every burst makes exactly one STS
// call, and reports that count as sts-calls/burst.
func BenchmarkFirstRequestBurst(b *testing.B) {
	e := newEnv(b)
	spec := e.spec(awscred.Spec{
		AccessKeyID: e.user.AccessKeyID, SecretAccessKey: e.user.SecretAccessKey, RoleARN: deptARole, ExternalID: extA,
	})
	total := 0
	for b.Loop() {
		e.sts.Reset()
		r := awscred.NewResolver(e.base(), nil)
		cfg, err := r.Config(context.Background(), spec)
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for range 200 {
			wg.Go(func() { errs <- e.converse(context.Background(), cfg) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		n := e.sts.Count("")
		if n != 1 {
			b.Fatalf("burst of 200 first requests made %d STS calls, want 1", n)
		}
		total += n
	}
	b.ReportMetric(float64(total)/float64(b.N), "sts-calls/burst")
}
