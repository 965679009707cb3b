package configsource

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is where a location keeps its config.
type Kind uint8

// Location kinds.
const (
	// KindFile is a local file.
	KindFile Kind = iota
	// KindS3 is an S3 object.
	KindS3
	// KindSSM is an SSM parameter.
	KindSSM
)

// Location is one config location, parsed.
type Location struct {
	Kind Kind
	// Bucket and Key locate an S3 object.
	Bucket, Key string
	// Parameter is the SSM parameter name (or ARN).
	Parameter string
	// Path is the local file path.
	Path string
}

// ErrLocation classifies a location that cannot be parsed.
var ErrLocation = errors.New("invalid config location")

// ParseLocation parses s3://BUCKET/KEY, ssm:NAME, or a local path.
func ParseLocation(s string) (Location, error) {
	switch {
	case strings.HasPrefix(s, "s3://"):
		bucket, key, _ := strings.Cut(strings.TrimPrefix(s, "s3://"), "/")
		if bucket == "" || key == "" {
			return Location{}, fmt.Errorf("%w %q: want s3://BUCKET/KEY", ErrLocation, s)
		}
		return Location{Kind: KindS3, Bucket: bucket, Key: key}, nil
	case strings.HasPrefix(s, "ssm:"):
		name := strings.TrimPrefix(s, "ssm:")
		if name == "" || strings.HasPrefix(name, "//") {
			return Location{}, fmt.Errorf("%w %q: want ssm:/PARAMETER/NAME", ErrLocation, s)
		}
		return Location{Kind: KindSSM, Parameter: name}, nil
	case strings.HasPrefix(s, "s3:"):
		return Location{}, fmt.Errorf("%w %q: want s3://BUCKET/KEY", ErrLocation, s)
	case strings.Contains(s, "://"):
		return Location{}, fmt.Errorf("%w %q: the config is read from a file path, s3://BUCKET/KEY or ssm:/PARAMETER/NAME", ErrLocation, s)
	case s == "":
		return Location{}, fmt.Errorf("%w: empty", ErrLocation)
	}
	return Location{Kind: KindFile, Path: s}, nil
}

// String returns the location as written: s3://BUCKET/KEY, ssm:NAME or the
// path. Config errors name files by it.
func (l Location) String() string {
	switch l.Kind {
	case KindS3:
		return "s3://" + l.Bucket + "/" + l.Key
	case KindSSM:
		return "ssm:" + l.Parameter
	}
	return l.Path
}

// Remote reports whether the location is read from AWS.
func (l Location) Remote() bool { return l.Kind != KindFile }
