package configsource_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/awscall"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/configsource"
)

const principal = "arn:aws:iam::111111111111:user/gateway"

func newClock() *clocktest.Clock {
	return clocktest.New(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
}

// fakes are the S3 and SSM fakes and real clients pointed at them.
type fakes struct {
	s3     *awsfake.S3
	ssm    *awsfake.SSM
	s3c    *awscall.S3
	ssmc   *awscall.Client
	clock  *clocktest.Clock
	client configsource.Clients
}

func newFakes(t *testing.T) *fakes {
	t.Helper()
	iam := awsfake.NewIAM(nil)
	c := credentials.StaticCredentialsProvider{Value: iam.AddUser(principal)}
	f := &fakes{s3: awsfake.NewS3(iam, nil), ssm: awsfake.NewSSM(iam, nil), clock: newClock()}
	s3srv, ssmsrv := httptest.NewServer(f.s3), httptest.NewServer(f.ssm)
	t.Cleanup(func() { s3srv.Close(); ssmsrv.Close() })
	var err error
	if f.s3c, err = awscall.NewS3(context.Background(), aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s3srv.URL), Credentials: c,
		RetryMaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	f.ssmc, err = awscall.New(context.Background(), aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(ssmsrv.URL), Credentials: c, RetryMaxAttempts: 1}, awscall.SSM)
	if err != nil {
		t.Fatal(err)
	}
	f.client = configsource.Clients{S3: f.s3c, SSM: f.ssmc}
	return f
}

func (f *fakes) source(t *testing.T, ttl time.Duration, locs ...string) *configsource.Source {
	t.Helper()
	var parsed []configsource.Location
	for _, l := range locs {
		p, err := configsource.ParseLocation(l)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, p)
	}
	src, err := configsource.New(parsed, f.client, &configsource.Options{TTL: ttl, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in   string
		want configsource.Location
		err  bool
	}{
		{in: "s3://cfg-bucket/config.yaml", want: configsource.Location{Kind: configsource.KindS3, Bucket: "cfg-bucket", Key: "config.yaml"}},
		{in: "s3://b/deep/path/config.yaml", want: configsource.Location{Kind: configsource.KindS3, Bucket: "b", Key: "deep/path/config.yaml"}},
		{in: "ssm:/tollgate/prod/config.yaml", want: configsource.Location{Kind: configsource.KindSSM, Parameter: "/tollgate/prod/config.yaml"}},
		{in: "ssm:flat-name", want: configsource.Location{Kind: configsource.KindSSM, Parameter: "flat-name"}},
		{in: "config/config.yaml", want: configsource.Location{Kind: configsource.KindFile, Path: "config/config.yaml"}},
		{in: "/abs/region.yaml", want: configsource.Location{Kind: configsource.KindFile, Path: "/abs/region.yaml"}},
		{in: "s3://bucket-only", err: true},
		{in: "s3://bucket/", err: true},
		{in: "s3:/b/k", err: true},
		{in: "ssm:", err: true},
		{in: "ssm://name", err: true},
		{in: "https://example.com/config.yaml", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := configsource.ParseLocation(tt.in)
			if tt.err {
				if !errors.Is(err, configsource.ErrLocation) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || got != tt.want || got.String() != tt.in || got.Remote() != (tt.want.Kind != configsource.KindFile) {
				t.Fatalf("got %+v (%s), %v", got, got, err)
			}
		})
	}
}

// currentAll calls Current from n goroutines at once and counts how many
// saw a change.
func currentAll(t *testing.T, src *configsource.Source, n int) (changed int, data map[string]int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	data = map[string]int{}
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			files, ch, err := src.Current(context.Background())
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				data["error: "+err.Error()]++
				return
			}
			if ch {
				changed++
			}
			data[string(files[0].Data)]++
		})
	}
	close(start)
	wg.Wait()
	return changed, data
}

// TestS3OneConditionalGetPerTTL: under 50 concurrent callers the object is
// read once, then checked once per TTL with If-None-Match; an unchanged
// object costs a 304 and reports no change, a new upload is reported once.
func TestS3OneConditionalGetPerTTL(t *testing.T) {
	f := newFakes(t)
	etag1 := f.s3.PutObject("cfg", "config.yaml", []byte("v1"))
	src := f.source(t, 0, "s3://cfg/config.yaml")

	type step struct {
		name    string
		advance time.Duration
		upload  string
		changed int
		data    string
		gets    int // GetObject calls so far
		n304    int
	}
	steps := []step{
		{name: "first read", changed: 1, data: "v1", gets: 1},
		{name: "within the TTL", advance: configsource.DefaultTTL - time.Nanosecond, data: "v1", gets: 1},
		{name: "TTL passed, unchanged", advance: time.Nanosecond, data: "v1", gets: 2, n304: 1},
		{name: "identical upload", advance: configsource.DefaultTTL, upload: "v1", data: "v1", gets: 3, n304: 2},
		{name: "upload within the TTL is not seen yet", advance: time.Second, upload: "v2", data: "v1", gets: 3, n304: 2},
		{name: "changed object", advance: configsource.DefaultTTL, changed: 1, data: "v2", gets: 4, n304: 2},
		{name: "then unchanged again", advance: configsource.DefaultTTL, data: "v2", gets: 5, n304: 3},
	}
	prev := ""
	for _, s := range steps {
		f.clock.Advance(s.advance)
		if s.upload != "" {
			f.s3.PutObject("cfg", "config.yaml", []byte(s.upload))
		}
		// Callers that arrive while the check runs get the previous files.
		changed, data := currentAll(t, src, 50)
		seen := data[s.data]
		if prev != s.data {
			seen += data[prev]
		}
		if changed != s.changed || data[s.data] == 0 || seen != 50 {
			t.Fatalf("%s: %d changed, saw %v", s.name, changed, data)
		}
		if files, ch, err := src.Current(context.Background()); err != nil || ch || string(files[0].Data) != s.data {
			t.Fatalf("%s: afterwards %q %v %v", s.name, files[0].Data, ch, err)
		}
		prev = s.data
		if gets, n304 := f.s3.Count("GetObject", 0), f.s3.Count("GetObject", http.StatusNotModified); gets != s.gets || n304 != s.n304 {
			t.Fatalf("%s: %d GetObject, %d of them 304; want %d, %d", s.name, gets, n304, s.gets, s.n304)
		}
	}
	calls := f.s3.Calls()
	if calls[0].IfNoneMatch != "" || calls[1].IfNoneMatch != etag1 || calls[0].Principal != principal {
		t.Fatalf("conditional headers: %+v", calls[:2])
	}
	files, _, _ := src.Current(context.Background())
	if files[0].Name != "s3://cfg/config.yaml" || files[0].Version == etag1 {
		t.Fatalf("file %+v", files[0])
	}
}

// TestSSMVersions: a parameter is read once per TTL; a new version is
// reported once; a new version with the same value is not a change.
func TestSSMVersions(t *testing.T) {
	f := newFakes(t)
	f.ssm.PutParameter("/tollgate/config.yaml", "SecureString", "v1")
	src := f.source(t, time.Minute, "ssm:/tollgate/config.yaml")
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		put     string
		changed bool
		data    string
		version string
		calls   int
	}{
		{changed: true, data: "v1", version: "1", calls: 1},
		{advance: 59 * time.Second, put: "v2", data: "v1", version: "1", calls: 1},
		{advance: time.Second, changed: true, data: "v2", version: "2", calls: 2},
		{advance: time.Minute, put: "v2", data: "v2", version: "3", calls: 3},
		{advance: time.Minute, data: "v2", version: "3", calls: 4},
	}
	for i, s := range steps {
		f.clock.Advance(s.advance)
		if s.put != "" {
			f.ssm.PutParameter("/tollgate/config.yaml", "", s.put)
		}
		files, changed, err := src.Current(ctx)
		if err != nil || changed != s.changed || string(files[0].Data) != s.data || files[0].Version != s.version ||
			files[0].Name != "ssm:/tollgate/config.yaml" || f.ssm.Count("GetParameter") != s.calls {
			t.Fatalf("step %d: %+v %v %v after %d calls", i, files, changed, err, f.ssm.Count("GetParameter"))
		}
	}
	for _, c := range f.ssm.Calls() {
		if !c.WithDecryption || c.Principal != principal {
			t.Fatalf("call %+v", c)
		}
	}
}

// TestFailedCheckKeepsFiles: a failed check returns the previous files with
// the error and is not retried before the next TTL.
func TestFailedCheckKeepsFiles(t *testing.T) {
	f := newFakes(t)
	f.s3.PutObject("cfg", "config.yaml", []byte("v1"))
	src := f.source(t, time.Minute, "s3://cfg/config.yaml")
	ctx := context.Background()
	if _, _, err := src.Current(ctx); err != nil {
		t.Fatal(err)
	}
	f.s3.DeleteObject("cfg", "config.yaml")
	f.clock.Advance(time.Minute)
	files, changed, err := src.Current(ctx)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" || !strings.Contains(err.Error(), "s3://cfg/config.yaml") ||
		changed || string(files[0].Data) != "v1" {
		t.Fatalf("failed check: %v %v %v", files, changed, err)
	}
	if files, changed, err := src.Current(ctx); err != nil || changed || string(files[0].Data) != "v1" || f.s3.Count("", 0) != 2 {
		t.Fatalf("right after a failed check: %v %v %v, %d calls", files, changed, err, f.s3.Count("", 0))
	}
	f.s3.PutObject("cfg", "config.yaml", []byte("v2"))
	f.clock.Advance(time.Minute)
	if files, changed, err := src.Current(ctx); err != nil || !changed || string(files[0].Data) != "v2" {
		t.Fatalf("after the fix: %v %v %v", files, changed, err)
	}
}

// TestLocalFiles: files are re-read per TTL and compared by content; with a
// negative TTL they are read once. Mixed lists keep their order and names.
func TestLocalFiles(t *testing.T) {
	f := newFakes(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.yaml")
	write := func(s string) {
		if err := os.WriteFile(base, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a")
	f.s3.PutObject("cfg", "region.yaml", []byte("r"))
	src := f.source(t, time.Second, base, "s3://cfg/region.yaml")
	once := f.source(t, -1, base)
	ctx := context.Background()

	files, changed, err := src.Current(ctx)
	if err != nil || !changed || len(files) != 2 || files[0].Name != base || files[1].Name != "s3://cfg/region.yaml" ||
		string(files[0].Data) != "a" || string(files[1].Data) != "r" {
		t.Fatalf("first read %+v %v %v", files, changed, err)
	}
	if _, changed, err := once.Current(ctx); err != nil || !changed {
		t.Fatalf("once: %v %v", changed, err)
	}
	write("b")
	if files, changed, _ := src.Current(ctx); changed || string(files[0].Data) != "a" {
		t.Fatal("re-read within the TTL")
	}
	f.clock.Advance(time.Second)
	if files, changed, err := src.Current(ctx); err != nil || !changed || string(files[0].Data) != "b" || string(files[1].Data) != "r" {
		t.Fatalf("after the TTL %+v %v %v", files, changed, err)
	}
	f.clock.Advance(time.Hour)
	if files, changed, err := once.Current(ctx); err != nil || changed || string(files[0].Data) != "a" {
		t.Fatalf("negative TTL re-read: %+v %v %v", files, changed, err)
	}
}

// TestFirstReadErrors: a first read that fails returns the error, caches
// nothing, and the next call tries again.
func TestFirstReadErrors(t *testing.T) {
	f := newFakes(t)
	src := f.source(t, 0, "ssm:/missing")
	_, _, err := src.Current(context.Background())
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ParameterNotFound" || !strings.Contains(err.Error(), "ssm:/missing") {
		t.Fatalf("err = %v", err)
	}
	f.ssm.PutParameter("/missing", "", "now")
	if files, changed, err := src.Current(context.Background()); err != nil || !changed || string(files[0].Data) != "now" {
		t.Fatalf("retry %v %v %v", files, changed, err)
	}

	if _, err := configsource.New([]configsource.Location{{Kind: configsource.KindS3, Bucket: "b", Key: "k"}}, configsource.Clients{}, nil); err == nil {
		t.Fatal("an S3 location without an S3 client")
	}
	if _, err := configsource.New([]configsource.Location{{Kind: configsource.KindSSM, Parameter: "p"}}, configsource.Clients{S3: f.s3c}, nil); err == nil {
		t.Fatal("an SSM location without an SSM client")
	}
	if _, err := configsource.New(nil, configsource.Clients{}, nil); err == nil {
		t.Fatal("no locations")
	}
}
