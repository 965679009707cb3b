package configsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tollgate-gw/tollgate/internal/awscall"
)

// DefaultTTL is how often Current checks for a new config unless told
// otherwise.
const DefaultTTL = 30 * time.Second

// MaxSize is the largest config Source reads; a bigger object is refused
// rather than read into memory.
const MaxSize = 16 << 20

// ObjectGetter is the S3 call Source makes, a conditional GetObject;
// *awscall.S3 is one.
type ObjectGetter interface {
	GetObject(ctx context.Context, bucket, key, ifNoneMatch string, maxSize int64) (awscall.Object, error)
}

// Caller makes the SSM call Source needs, GetParameter: an *awscall.Client
// of awscall.SSM is one.
type Caller interface {
	Call(ctx context.Context, operation string, in, out any) error
}

// getParameterInput and getParameterOutput are the members of SSM's
// GetParameter input and answer that Source uses.
type (
	getParameterInput struct {
		Name           string
		WithDecryption bool
	}
	getParameterOutput struct {
		Parameter *struct {
			Value   *string
			Version int64
		}
	}
)

// Clients are the clients the locations need: S3 for s3:// locations, SSM
// for ssm: ones. A client no location needs may be nil.
type Clients struct {
	S3  ObjectGetter
	SSM Caller
}

// Options adjust a Source. A nil *Options means defaults.
type Options struct {
	// TTL is the least time between two checks; zero means DefaultTTL, and
	// a negative TTL means the locations are read once and never checked
	// again.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// File is one config file as last read.
type File struct {
	// Name is the location as written (s3://..., ssm:... or the path), for
	// config messages.
	Name string
	// Data is the content. Callers must not modify it.
	Data []byte
	// Version identifies the content: the S3 ETag, the SSM parameter
	// version, or empty for a local file.
	Version string
}

// Source reads config files from their locations and reports changes. It is
// safe for concurrent use.
type Source struct {
	locs    []Location
	clients Clients
	ttl     time.Duration
	now     func() time.Time

	first singleflight.Group // the first read, shared by the callers that wait for it

	mu       sync.Mutex
	files    []File    // nil until the first successful read
	next     time.Time // no check before this
	checking bool
}

// New returns a Source over locs, read in order. It makes no call: the first
// Current reads them. It fails when a location needs a client that clients
// does not have.
func New(locs []Location, clients Clients, opts *Options) (*Source, error) {
	if len(locs) == 0 {
		return nil, errors.New("config source: no locations")
	}
	for _, l := range locs {
		if l.Kind == KindS3 && clients.S3 == nil {
			return nil, fmt.Errorf("config source %s: no S3 client", l)
		}
		if l.Kind == KindSSM && clients.SSM == nil {
			return nil, fmt.Errorf("config source %s: no SSM client", l)
		}
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Source{locs: append([]Location(nil), locs...), clients: clients, ttl: o.TTL, now: o.Now}, nil
}

// Locations returns the locations, in order.
func (s *Source) Locations() []Location { return append([]Location(nil), s.locs...) }

// Current returns the config files, in location order, and whether this
// call found them new: true for the call that read them first, and for the
// call whose check found any of them changed since. Every other call (within
// the TTL, while another caller checks, or when nothing changed) returns the
// files as last read and false.
//
// The first call reads every location; callers that arrive meanwhile wait
// for it. After that, the first call once the TTL has passed checks each
// location conditionally (If-None-Match for S3). When a check fails, Current
// returns the previous files, false and the error; the next check comes
// after another TTL. A check that failed only because ctx ended is retried
// by the next call.
func (s *Source) Current(ctx context.Context) ([]File, bool, error) {
	for {
		s.mu.Lock()
		if s.files == nil {
			s.mu.Unlock()
			// read is set by the one caller whose function runs: it alone
			// reports the files as new.
			read := false
			ch := s.first.DoChan("", func() (any, error) {
				s.mu.Lock()
				files := s.files
				s.mu.Unlock()
				if files != nil { // a read finished since this caller looked
					return files, nil
				}
				files, _, err := s.read(ctx, nil)
				if err != nil {
					return nil, err
				}
				read = true
				s.mu.Lock()
				s.files, s.next = files, s.now().Add(s.ttl)
				s.mu.Unlock()
				return files, nil
			})
			select {
			case r := <-ch:
				if r.Err != nil && isContextErr(r.Err) && ctx.Err() == nil {
					continue // the caller that was reading gave up: read for ourselves
				}
				files, _ := r.Val.([]File)
				return files, read, r.Err
			case <-ctx.Done():
				return nil, false, fmt.Errorf("reading config: %w", ctx.Err())
			}
		}
		if s.ttl < 0 || s.checking || s.now().Before(s.next) {
			files := s.files
			s.mu.Unlock()
			return files, false, nil
		}
		s.checking = true
		prev := s.files
		s.mu.Unlock()

		files, changed, err := s.read(ctx, prev)
		s.mu.Lock()
		s.checking = false
		if err == nil {
			s.files = files // versions may move while the content stays
		}
		if err == nil || !isContextErr(err) {
			s.next = s.now().Add(s.ttl)
		}
		files = s.files
		s.mu.Unlock()
		return files, changed, err
	}
}

// read reads every location, conditionally against prev when it is set,
// and reports whether any content differs from prev.
func (s *Source) read(ctx context.Context, prev []File) ([]File, bool, error) {
	files := make([]File, len(s.locs))
	changed := prev == nil
	for i, l := range s.locs {
		var p *File
		if prev != nil {
			p = &prev[i]
		}
		f, err := s.fetch(ctx, l, p)
		if err != nil {
			return nil, false, fmt.Errorf("reading config %s: %w", l, err)
		}
		if p != nil && bytes.Equal(f.Data, p.Data) {
			f.Data = p.Data
		} else {
			changed = true
		}
		files[i] = f
	}
	return files, changed, nil
}

// fetch reads one location; prev, when set, is what it held last time.
func (s *Source) fetch(ctx context.Context, l Location, prev *File) (File, error) {
	f := File{Name: l.String()}
	switch l.Kind {
	case KindS3:
		etag := ""
		if prev != nil {
			etag = prev.Version
		}
		obj, err := s.clients.S3.GetObject(ctx, l.Bucket, l.Key, etag, MaxSize)
		if err != nil {
			return f, err
		}
		if obj.NotModified && prev != nil {
			return *prev, nil
		}
		f.Data, f.Version = obj.Data, obj.ETag
	case KindSSM:
		var out getParameterOutput
		if err := s.clients.SSM.Call(ctx, "GetParameter", getParameterInput{Name: l.Parameter, WithDecryption: true}, &out); err != nil {
			return f, err
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return f, errors.New("the parameter has no value")
		}
		f.Data, f.Version = []byte(*out.Parameter.Value), strconv.FormatInt(out.Parameter.Version, 10)
	default:
		data, err := os.ReadFile(l.Path)
		if err != nil {
			return f, err
		}
		f.Data = data
	}
	return f, nil
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
