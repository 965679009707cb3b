package awscall

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// emptySHA256 is the SHA-256 of an empty body, which a GET signs.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// S3 reads objects with GetObject. It is safe for concurrent use.
type S3 struct {
	caller
	// configured is the endpoint from the configuration, used path-style
	// (http(s)://HOST/BUCKET/KEY): an override (LocalStack, MinIO, a test
	// fake) rarely has DNS for BUCKET.HOST. Empty means S3's public
	// endpoints.
	configured string
	fips, dual bool
	partition  partition
}

// NewS3 returns an S3 reader configured as the SDK would configure its S3
// client from cfg (region, credentials, HTTP client, retries, the endpoint
// variables AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL, FIPS and dual-stack).
func NewS3(ctx context.Context, cfg aws.Config) (*S3, error) {
	c, err := newCaller(cfg, "S3")
	if err != nil {
		return nil, err
	}
	s := &S3{caller: c}
	configured, found, err := configuredEndpoint(ctx, cfg, "S3", "S3")
	if err != nil {
		return nil, err
	}
	if found {
		s.configured = configured
		return s, nil
	}
	s.fips, s.dual = endpointFlags(ctx, cfg)
	if s.partition, err = partitionOf("S3", cfg.Region, endpointVar("S3")); err != nil {
		return nil, err
	}
	if s.fips && s.partition.prefix == "cn-" {
		return nil, fmt.Errorf("S3 has no FIPS endpoint in %s: unset AWS_USE_FIPS_ENDPOINT or set %s", cfg.Region, endpointVar("S3"))
	}
	return s, nil
}

// ObjectURL is the URL GetObject reads bucket/key from: path-style on a
// configured endpoint and for a bucket name that cannot be a host name
// under TLS (dots, capitals), virtual-hosted otherwise, as the SDK's
// endpoint rules place them (TestS3Endpoints compares).
func (s *S3) ObjectURL(bucket, key string) string {
	path := "/" + escapeS3(key, true)
	if s.configured != "" {
		return s.configured + "/" + escapeS3(bucket, false) + path
	}
	host := "s3"
	if s.fips {
		host += "-fips"
	}
	if s.dual {
		host += ".dualstack"
	}
	host += "." + s.region + "." + s.partition.suffix
	if virtualHostable(bucket) {
		return "https://" + bucket + "." + host + path
	}
	return "https://" + host + "/" + escapeS3(bucket, false) + path
}

// Object is what GetObject read.
type Object struct {
	Data []byte
	ETag string
	// NotModified: the object's ETag still matched the ifNoneMatch given
	// (a 304); Data is empty.
	NotModified bool
}

// GetObject reads bucket/key, or only learns that it has not changed when
// ifNoneMatch (an ETag from an earlier read) still matches. An object
// larger than maxSize bytes is refused, not read. A service error is an
// *Error; every error names S3 and GetObject. TLS guards the bytes in
// transit; the SDK's optional response checksum is not asked for.
func (s *S3) GetObject(ctx context.Context, bucket, key, ifNoneMatch string, maxSize int64) (Object, error) {
	var obj Object
	err := s.retry(ctx, "GetObject", func() error {
		var err error
		obj, err = s.getOnce(ctx, bucket, key, ifNoneMatch, maxSize)
		return err
	})
	return obj, err
}

func (s *S3) getOnce(ctx context.Context, bucket, key, ifNoneMatch string, maxSize int64) (Object, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.ObjectURL(bucket, key), nil)
	if err != nil {
		return Object{}, err
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	// S3 signs the path as sent, not escaped a second time.
	resp, err := s.send(ctx, req, emptySHA256, "s3", func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		return Object{}, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return Object{ETag: resp.Header.Get("ETag"), NotModified: true}, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		data, _ := readAnswer(resp, maxAnswer)
		return Object{}, decodeS3Error(resp, data)
	case resp.ContentLength > maxSize:
		return Object{}, &Error{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header), Code: "ObjectTooLarge",
			Message: fmt.Sprintf("the object is %d bytes, more than %d", resp.ContentLength, maxSize)}
	}
	data, err := readAnswer(resp, maxSize)
	if err != nil {
		return Object{}, err
	}
	return Object{Data: data, ETag: resp.Header.Get("ETag")}, nil
}

// decodeS3Error reads S3's XML error (<Error><Code>…</Code><Message>…).
func decodeS3Error(resp *http.Response, data []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header)}
	var body struct {
		Code, Message, RequestId string
	}
	_ = xml.Unmarshal(data, &body) // a body that is not XML leaves the status to speak
	e.Code, e.Message = body.Code, body.Message
	if e.RequestID == "" {
		e.RequestID = body.RequestId
	}
	if e.Code == "" {
		e.Code = strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
	}
	if region := resp.Header.Get("X-Amz-Bucket-Region"); region != "" && resp.StatusCode == http.StatusMovedPermanently {
		e.Message += " (the bucket is in " + region + ": set AWS_REGION to it)"
	}
	return e
}

// virtualHostable reports whether bucket can be the first label of a host
// name under TLS: 3 to 63 lower-case letters, digits and hyphens, starting
// and ending with a letter or digit (a dot would break the certificate's
// wildcard).
func virtualHostable(bucket string) bool {
	if len(bucket) < 3 || len(bucket) > 63 {
		return false
	}
	for i := 0; i < len(bucket); i++ {
		c := bucket[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(bucket)-1) {
			return false
		}
	}
	return true
}

// escapeS3 percent-encodes s for an S3 path, every byte but the unreserved
// ones (and '/' when keepSlash), as S3 and its signature expect.
func escapeS3(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' && keepSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
