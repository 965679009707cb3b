package awsfake_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

const secretARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:tollgate/master-AbCdEf"

func creds(c aws.Credentials) credentials.StaticCredentialsProvider {
	return credentials.StaticCredentialsProvider{Value: c}
}

func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestSecretsManagerSpeaksJSON11: the real client reads strings, binaries
// and older versions, gets real error codes, and is refused with a key IAM
// does not know.
func TestSecretsManagerSpeaksJSON11(t *testing.T) {
	iam := awsfake.NewIAM(nil)
	alice := iam.AddUser(user)
	fake := awsfake.NewSecretsManager(iam, nil)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: creds(alice), RetryMaxAttempts: 1})
	ctx := context.Background()

	v1 := fake.PutSecretString(secretARN, "first")
	v2 := fake.PutSecretString(secretARN, "second")
	binARN := "arn:aws:secretsmanager:us-east-1:111111111111:secret:bin-XyZ123"
	fake.PutSecretBinary(binARN, []byte{0, 1, 2})

	tests := []struct {
		name      string
		in        secretsmanager.GetSecretValueInput
		value     string
		version   string
		binary    []byte
		code      string
		principal string
	}{
		{name: "by ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)}, value: "second", version: v2},
		{name: "by name", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("tollgate/master")}, value: "second", version: v2},
		{name: "by version", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN), VersionId: aws.String(v1)}, value: "first", version: v1},
		{name: "previous", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN), VersionStage: aws.String("AWSPREVIOUS")}, value: "first", version: v1},
		{name: "binary", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(binARN)}, binary: []byte{0, 1, 2}},
		{name: "missing", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")}, code: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetSecretValue(ctx, &tt.in)
			if tt.code != "" {
				var rnf interface{ ErrorCode() string }
				if !errors.As(err, &rnf) || rnf.ErrorCode() != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.binary != nil {
				if string(out.SecretBinary) != string(tt.binary) || out.SecretString != nil {
					t.Fatalf("binary %v string %v", out.SecretBinary, out.SecretString)
				}
				return
			}
			if aws.ToString(out.SecretString) != tt.value || aws.ToString(out.VersionId) != tt.version ||
				aws.ToString(out.ARN) != secretARN || aws.ToString(out.Name) != "tollgate/master" {
				t.Fatalf("got %s %s %s %s", aws.ToString(out.SecretString), aws.ToString(out.VersionId), aws.ToString(out.ARN), aws.ToString(out.Name))
			}
		})
	}
	for _, c := range fake.Calls() {
		if c.Principal != user || c.Region != "us-east-1" || c.Operation != "GetSecretValue" {
			t.Fatalf("call %+v", c)
		}
	}

	fake.FailNext(secretARN, nil)
	if _, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)}); status(err) != http.StatusInternalServerError {
		t.Fatalf("FailNext: %v", err)
	}
	stranger := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: creds(aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}), RetryMaxAttempts: 1})
	_, err := stranger.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	if code(err) != "UnrecognizedClientException" {
		t.Fatalf("unknown key: %v", err)
	}
}

// TestS3ConditionalGet: ETags round-trip, If-None-Match with the current
// ETag answers 304 with no body, a new upload answers 200, and the SDK
// verifies the CRC32 the fake sends.
func TestS3ConditionalGet(t *testing.T) {
	iam := awsfake.NewIAM(nil)
	alice := iam.AddUser(user)
	fake := awsfake.NewS3(iam, nil)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: creds(alice), RetryMaxAttempts: 1, ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported})
	ctx := context.Background()
	get := func(key, ifNoneMatch string) (string, string, error) {
		in := &s3.GetObjectInput{Bucket: aws.String("cfg"), Key: aws.String(key)}
		if ifNoneMatch != "" {
			in.IfNoneMatch = aws.String(ifNoneMatch)
		}
		out, err := client.GetObject(ctx, in)
		if err != nil {
			return "", "", err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return string(b), aws.ToString(out.ETag), err
	}

	etag1 := fake.PutObject("cfg", "dir/config.yaml", []byte("model_list: []\n"))
	body, etag, err := get("dir/config.yaml", "")
	if err != nil || body != "model_list: []\n" || etag != etag1 {
		t.Fatalf("first GET %q %s %v", body, etag, err)
	}
	if _, _, err := get("dir/config.yaml", etag1); status(err) != http.StatusNotModified {
		t.Fatalf("conditional GET of an unchanged object: %v", err)
	}
	if again := fake.PutObject("cfg", "dir/config.yaml", []byte("model_list: []\n")); again != etag1 {
		t.Fatalf("identical upload changed the ETag: %s", again)
	}
	etag2 := fake.PutObject("cfg", "dir/config.yaml", []byte("model_list: [x]\n"))
	if body, etag, err := get("dir/config.yaml", etag1); err != nil || body != "model_list: [x]\n" || etag != etag2 {
		t.Fatalf("conditional GET of a changed object %q %s %v", body, etag, err)
	}
	if _, _, err := get("missing.yaml", ""); code(err) != "NoSuchKey" {
		t.Fatalf("missing key: %v", err)
	}
	want := []int{200, 304, 200, 404}
	calls := fake.Calls()
	if len(calls) != len(want) {
		t.Fatalf("calls %+v", calls)
	}
	for i, c := range calls {
		if c.Status != want[i] || c.Principal != user || c.Bucket != "cfg" || c.Operation != "GetObject" {
			t.Errorf("call %d %+v", i, c)
		}
	}
	if fake.Count("GetObject", http.StatusNotModified) != 1 {
		t.Errorf("304 count %d", fake.Count("GetObject", http.StatusNotModified))
	}
}

// TestSSMGetParameter: versions, selectors, SecureString decryption and
// ParameterNotFound through the real client.
func TestSSMGetParameter(t *testing.T) {
	iam := awsfake.NewIAM(nil)
	alice := iam.AddUser(user)
	fake := awsfake.NewSSM(iam, nil)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds(alice), RetryMaxAttempts: 1})
	ctx := context.Background()
	fake.PutParameter("/tollgate/config.yaml", "", "one")
	fake.PutParameter("/tollgate/config.yaml", "", "two")
	fake.PutParameter("/tollgate/secure", "SecureString", "hush")

	tests := []struct {
		name    string
		param   string
		decrypt bool
		value   string
		version int64
		code    string
	}{
		{name: "current", param: "/tollgate/config.yaml", decrypt: true, value: "two", version: 2},
		{name: "selector", param: "/tollgate/config.yaml:1", value: "one", version: 1},
		{name: "by ARN", param: "arn:aws:ssm:us-east-1:111111111111:parameter/tollgate/config.yaml", value: "two", version: 2},
		{name: "decrypted", param: "/tollgate/secure", decrypt: true, value: "hush", version: 1},
		{name: "missing", param: "/nope", code: "ParameterNotFound"},
		{name: "missing version", param: "/tollgate/config.yaml:9", code: "ParameterVersionNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(tt.param), WithDecryption: aws.Bool(tt.decrypt)})
			if tt.code != "" {
				if code(err) != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p := out.Parameter; aws.ToString(p.Value) != tt.value || p.Version != tt.version || p.LastModifiedDate == nil {
				t.Fatalf("got %+v", p)
			}
		})
	}
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/tollgate/secure")})
	if err != nil || aws.ToString(out.Parameter.Value) == "hush" {
		t.Fatalf("SecureString without decryption: %v %v", out, err)
	}
	for _, c := range fake.Calls() {
		if c.Principal != user || c.Operation != "GetParameter" {
			t.Fatalf("call %+v", c)
		}
	}
}
