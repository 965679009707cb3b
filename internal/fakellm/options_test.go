package fakellm

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsFromEnv(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		env       map[string]string
		wantDelay [2]time.Duration
		wantGap   [2]time.Duration
		wantN     int
		wantErr   []string // substrings; nil means success
	}{
		{"defaults are the seeds'", nil, [2]time.Duration{time.Second, 3 * time.Second}, [2]time.Duration{200 * ms, 800 * ms}, 8, nil},
		{"zero disables", map[string]string{EnvDelay: "0", EnvChunkGap: "0"}, [2]time.Duration{}, [2]time.Duration{}, 8, nil},
		{"fixed values", map[string]string{EnvDelay: "2s", EnvChunkGap: "50ms", EnvChunks: "3"},
			[2]time.Duration{2 * time.Second, 2 * time.Second}, [2]time.Duration{50 * ms, 50 * ms}, 3, nil},
		{"ranges with spaces", map[string]string{EnvDelay: " 500ms - 1.5s ", EnvChunkGap: "0-0", EnvChunks: " 12 "},
			[2]time.Duration{500 * ms, 1500 * ms}, [2]time.Duration{}, 12, nil},
		{"a seed", map[string]string{EnvSeed: "42"}, [2]time.Duration{time.Second, 3 * time.Second}, [2]time.Duration{200 * ms, 800 * ms}, 8, nil},
		{"not a duration", map[string]string{EnvDelay: "soon"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvDelay, `"soon"`}},
		{"missing unit", map[string]string{EnvChunkGap: "200-800"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvChunkGap}},
		{"inverted range", map[string]string{EnvDelay: "3s-1s"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvDelay, "exceeds"}},
		{"negative", map[string]string{EnvDelay: "-1s"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvDelay}},
		{"negative maximum", map[string]string{EnvChunkGap: "1s--2s"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvChunkGap, "negative"}},
		{"open range", map[string]string{EnvDelay: "1s-"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvDelay}},
		{"three bounds", map[string]string{EnvDelay: "1s-2s-3s"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvDelay}},
		{"zero chunks", map[string]string{EnvChunks: "0"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvChunks, "at least 1"}},
		{"chunks not a number", map[string]string{EnvChunks: "many"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvChunks}},
		{"bad seed", map[string]string{EnvSeed: "-3"}, [2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvSeed}},
		{"every bad variable is named", map[string]string{EnvDelay: "x", EnvChunkGap: "y", EnvChunks: "z"},
			[2]time.Duration{}, [2]time.Duration{}, 0, []string{EnvDelay, EnvChunkGap, EnvChunks}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := OptionsFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; options %+v", opts)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.Delay != tt.wantDelay || opts.ChunkGap != tt.wantGap || opts.Chunks != tt.wantN || opts.Rand == nil {
				t.Errorf("options %+v, want delay %v gap %v chunks %d and a Rand", opts, tt.wantDelay, tt.wantGap, tt.wantN)
			}
			New(opts) // valid options never panic
		})
	}
}

func TestOptionsFromEnvSeed(t *testing.T) {
	seq := func(env map[string]string) [4]int64 {
		opts, err := OptionsFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		var out [4]int64
		for i := range out {
			out[i] = opts.Rand.Int64()
		}
		return out
	}
	if a, b := seq(map[string]string{EnvSeed: "42"}), seq(map[string]string{EnvSeed: "42"}); a != b {
		t.Errorf("the same seed gave %v and %v", a, b)
	}
	if a, b := seq(map[string]string{EnvSeed: "42"}), seq(map[string]string{EnvSeed: "43"}); a == b {
		t.Errorf("different seeds gave the same %v", a)
	}
	if a, b := seq(nil), seq(nil); a == b {
		t.Errorf("two unseeded sources gave the same %v", a)
	}
}
