package awscall_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/awscall"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

// TestS3GetObject: a read, a conditional read that finds the object
// unchanged, a missing object, an object over the size limit, against the
// S3 fake, which verifies the signature.
func TestS3GetObject(t *testing.T) {
	isolate(t)
	iam := awsfake.NewIAM(nil)
	fake := awsfake.NewS3(iam, &awsfake.S3Options{Latency: -1})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	c := iam.AddUser(principal)
	t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := awscall.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	etag := fake.PutObject("cfg", "deploy/config.yaml", []byte("model_list: []"))

	obj, err := s.GetObject(ctx, "cfg", "deploy/config.yaml", "", 1<<20)
	if err != nil || string(obj.Data) != "model_list: []" || obj.ETag != etag || obj.NotModified {
		t.Fatalf("GetObject = %+v, %v; want the object and its ETag %s", obj, err, etag)
	}
	if obj, err = s.GetObject(ctx, "cfg", "deploy/config.yaml", etag, 1<<20); err != nil || !obj.NotModified || len(obj.Data) != 0 {
		t.Fatalf("conditional GetObject = %+v, %v; want not modified", obj, err)
	}
	calls := fake.Calls()
	if len(calls) != 2 || calls[0].Principal != principal || calls[1].IfNoneMatch != etag || calls[0].Key != "deploy/config.yaml" {
		t.Errorf("the fake saw %+v", calls)
	}

	for _, tt := range []struct {
		name, bucket, key string
		max               int64
		code              string
	}{
		{name: "missing key", bucket: "cfg", key: "nope.yaml", max: 1 << 20, code: "NoSuchKey"},
		{name: "missing bucket", bucket: "other", key: "config.yaml", max: 1 << 20, code: "NoSuchBucket"},
		{name: "too large", bucket: "cfg", key: "deploy/config.yaml", max: 4, code: "ObjectTooLarge"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.GetObject(ctx, tt.bucket, tt.key, "", tt.max)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code || !strings.HasPrefix(err.Error(), "operation error S3: GetObject") {
				t.Fatalf("err = %v, want %s named as S3's GetObject", err, tt.code)
			}
		})
	}
}

// TestS3Endpoints: without a configured endpoint, objects are read where the
// SDK's S3 endpoint rules place them: virtual-hosted for a bucket that can
// be a host name, path-style otherwise, FIPS and dual-stack as configured.
func TestS3Endpoints(t *testing.T) {
	ctx := context.Background()
	for _, region := range []string{"us-east-1", "eu-west-3", "ap-southeast-5", "cn-north-1", "us-gov-west-1"} {
		for _, fips := range []bool{false, true} {
			for _, dual := range []bool{false, true} {
				for _, bucket := range []string{"tollgate-config", "my.config.bucket", "Legacy_Bucket"} {
					e, err := s3.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, s3.EndpointParameters{
						Bucket: aws.String(bucket), Region: aws.String(region), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(dual),
						ForcePathStyle: aws.Bool(false), Accelerate: aws.Bool(false), UseGlobalEndpoint: aws.Bool(false)})
					s, nerr := awscall.NewS3(ctx, ambient(t, region, fips, dual))
					if err != nil {
						if nerr == nil {
							t.Errorf("%s %s fips=%v dual=%v: the SDK refuses (%v), awscall does not", bucket, region, fips, dual, err)
						}
						continue
					}
					if nerr != nil {
						t.Fatalf("%s %s fips=%v dual=%v: %v", bucket, region, fips, dual, nerr)
					}
					if got, want := s.ObjectURL(bucket, "a/b c.yaml"), e.URI.String()+"/a/b%20c.yaml"; got != want {
						t.Errorf("%s %s fips=%v dual=%v: %s, the SDK's rules give %s", bucket, region, fips, dual, got, want)
					}
				}
			}
		}
	}
}
