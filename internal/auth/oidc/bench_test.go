package oidc_test

import (
	"context"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
)

// BenchmarkVerify: the warm path, the key set cached (no I/O): parse,
// claims, key lookup, signature.
func BenchmarkVerify(b *testing.B) {
	e := newInProcessEnv(b, nil, nil)
	for _, s := range []signer{e.rsa, e.ec} {
		b.Run(s.alg, func(b *testing.B) {
			tok := e.token(b, s, nil)
			ctx := context.Background()
			if _, err := e.verifier.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.verifier.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIsJWT: the shape check the authenticator runs on every bearer.
func BenchmarkIsJWT(b *testing.B) {
	e := newInProcessEnv(b, nil, nil)
	tok := e.token(b, e.rsa, nil)
	b.ReportAllocs()
	for b.Loop() {
		if !oidc.IsJWT(tok) {
			b.Fatal("not a JWT")
		}
	}
}
