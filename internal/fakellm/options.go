package fakellm

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/fake"
)

// Options configure the fake server. The zero value answers at once, which
// is what benchmarks want; OptionsFromEnv gives the seeds' load-testing
// behaviour.
type Options struct {
	// Delay is the [min, max] range of the wait before a non-streaming
	// answer (chat completions, Converse, embeddings). Each request draws
	// uniformly from it; min == max is a fixed delay, zero none.
	Delay [2]time.Duration
	// ChunkGap is the [min, max] range of the wait between consecutive
	// chunks of a stream, drawn anew for every gap.
	ChunkGap [2]time.Duration
	// Chunks is how many pieces a streamed reply's text is split into;
	// zero means fake.DefaultStreamChunks. The role, finish and usage chunks
	// come on top.
	Chunks int
	// Rand draws the delays. The server locks around it, so one *rand.Rand
	// may serve concurrent requests. Nil means a PCG with a fixed seed, which
	// makes runs repeatable; it is consulted only when a range is not a
	// single value.
	Rand *rand.Rand
}

// The seeds' load-testing behaviour: OptionsFromEnv's defaults.
const (
	DefaultDelayMin    = 1 * time.Second
	DefaultDelayMax    = 3 * time.Second
	DefaultChunkGapMin = 200 * time.Millisecond
	DefaultChunkGapMax = 800 * time.Millisecond
)

// Environment variables read by OptionsFromEnv.
const (
	EnvDelay    = "FAKELLM_DELAY"
	EnvChunkGap = "FAKELLM_CHUNK_GAP"
	EnvChunks   = "FAKELLM_CHUNKS"
	EnvSeed     = "FAKELLM_SEED"
)

// OptionsFromEnv reads the server's settings through getenv (os.Getenv in
// main, a map in tests):
//
//	FAKELLM_DELAY      wait before non-streaming answers: "1s-3s" (a range),
//	                   "2s" (fixed) or "0" (none); default 1s-3s
//	FAKELLM_CHUNK_GAP  wait between streamed chunks, same syntax; default 200ms-800ms
//	FAKELLM_CHUNKS     text pieces per streamed reply, at least 1; default 8
//	FAKELLM_SEED       seed for the delays (an unsigned integer), for repeatable
//	                   runs; default a random seed
//
// Every malformed variable is reported, each by name.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	opts := Options{
		Delay:    [2]time.Duration{DefaultDelayMin, DefaultDelayMax},
		ChunkGap: [2]time.Duration{DefaultChunkGapMin, DefaultChunkGapMax},
		Chunks:   fake.DefaultStreamChunks,
	}
	var errs []error
	if v := getenv(EnvDelay); v != "" {
		r, err := parseRange(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvDelay, v, err))
		}
		opts.Delay = r
	}
	if v := getenv(EnvChunkGap); v != "" {
		r, err := parseRange(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvChunkGap, v, err))
		}
		opts.ChunkGap = r
	}
	if v := getenv(EnvChunks); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number of at least 1", EnvChunks, v))
		}
		opts.Chunks = n
	}
	if v := getenv(EnvSeed); v != "" {
		seed, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want an unsigned integer", EnvSeed, v))
		}
		opts.Rand = rand.New(rand.NewPCG(seed, seed))
	} else {
		var seed [32]byte
		_, _ = crand.Read(seed[:]) // never fails since Go 1.24
		opts.Rand = rand.New(rand.NewChaCha8(seed))
	}
	if len(errs) > 0 {
		return Options{}, errors.Join(errs...)
	}
	return opts, nil
}

// parseRange reads "min-max", a single duration, or "0".
func parseRange(s string) ([2]time.Duration, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	var r [2]time.Duration
	var err error
	if r[0], err = parseDuration(lo); err != nil {
		return [2]time.Duration{}, err
	}
	r[1] = r[0]
	if isRange {
		if r[1], err = parseDuration(hi); err != nil {
			return [2]time.Duration{}, err
		}
	}
	return r, checkRange(r)
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New(`want a duration such as "2s", a range such as "1s-3s", or "0"`)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf(`want a duration such as "2s", a range such as "1s-3s", or "0": %w`, err)
	}
	return d, nil
}

func checkRange(r [2]time.Duration) error {
	switch {
	case r[0] < 0 || r[1] < 0:
		return fmt.Errorf("durations must not be negative, got %v-%v", r[0], r[1])
	case r[1] < r[0]:
		return fmt.Errorf("the range's minimum %v exceeds its maximum %v", r[0], r[1])
	}
	return nil
}

// validate reports options New cannot honour.
func (o *Options) validate() error {
	var errs []error
	if err := checkRange(o.Delay); err != nil {
		errs = append(errs, fmt.Errorf("delay: %w", err))
	}
	if err := checkRange(o.ChunkGap); err != nil {
		errs = append(errs, fmt.Errorf("chunk gap: %w", err))
	}
	if o.Chunks < 0 {
		errs = append(errs, fmt.Errorf("chunks: must not be negative, got %d", o.Chunks))
	}
	return errors.Join(errs...)
}
