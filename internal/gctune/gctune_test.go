package gctune

import (
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestApply runs each case against the process's real collector settings,
// restored afterwards. "runtime" is what the Go runtime would have read from
// GOGC/GOMEMLIMIT at start-up, simulated by setting it before Apply.
func TestApply(t *testing.T) {
	tests := []struct {
		name           string
		env            map[string]string
		runtimePercent int   // set before Apply, as GOGC would have
		runtimeLimit   int64 // likewise for GOMEMLIMIT; 0: none
		want           Settings
		wantErr        string
	}{
		{
			name:           "defaults outside Lambda",
			runtimePercent: 100,
			want:           Settings{GCPercent: DefaultGCPercent},
		},
		{
			name:           "GOGC kept",
			env:            map[string]string{"GOGC": "50"},
			runtimePercent: 50,
			want:           Settings{GCPercent: 50, FromEnv: []string{"GOGC"}},
		},
		{
			name:           "GOGC=off kept",
			env:            map[string]string{"GOGC": "off", "GOMEMLIMIT": "64MiB"},
			runtimePercent: -1,
			runtimeLimit:   64 << 20,
			want:           Settings{GCPercent: -1, MemoryLimit: 64 << 20, FromEnv: []string{"GOGC", "GOMEMLIMIT"}},
		},
		{
			name:           "Lambda memory sets a soft limit",
			env:            map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"},
			runtimePercent: 100,
			want:           Settings{GCPercent: DefaultGCPercent, MemoryLimit: 966367641}, // 0.9 × 1 GiB
		},
		{
			name:           "GOMEMLIMIT wins over the Lambda size",
			env:            map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "GOMEMLIMIT": "100MiB"},
			runtimePercent: 100,
			runtimeLimit:   100 << 20,
			want:           Settings{GCPercent: DefaultGCPercent, MemoryLimit: 100 << 20, FromEnv: []string{"GOMEMLIMIT"}},
		},
		{
			name:           "broken Lambda size",
			env:            map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1GB"},
			runtimePercent: 100,
			wantErr:        `AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1GB"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prevPercent := debug.SetGCPercent(tt.runtimePercent)
			limit := int64(math.MaxInt64)
			if tt.runtimeLimit != 0 {
				limit = tt.runtimeLimit
			}
			prevLimit := debug.SetMemoryLimit(limit)
			t.Cleanup(func() {
				debug.SetGCPercent(prevPercent)
				debug.SetMemoryLimit(prevLimit)
			})

			got, err := Apply(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.GCPercent != tt.want.GCPercent || got.MemoryLimit != tt.want.MemoryLimit || !slices.Equal(got.FromEnv, tt.want.FromEnv) {
				t.Fatalf("Apply = %+v, want %+v", got, tt.want)
			}
			// What Apply reports is what the runtime now runs with.
			if p := debug.SetGCPercent(-1); p != tt.want.GCPercent {
				t.Errorf("runtime GC percent = %d, want %d", p, tt.want.GCPercent)
			} else {
				debug.SetGCPercent(p)
			}
			wantLimit := tt.want.MemoryLimit
			if wantLimit == 0 {
				wantLimit = math.MaxInt64
			}
			if l := debug.SetMemoryLimit(-1); l != wantLimit {
				t.Errorf("runtime memory limit = %d, want %d", l, wantLimit)
			}
		})
	}
}
