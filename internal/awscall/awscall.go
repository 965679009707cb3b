// Package awscall makes single signed calls to AWS services of which
// Tollgate calls one operation: SSM's GetParameter for a config kept in
// Parameter Store and Secrets Manager's GetSecretValue for keys (Client,
// the awsJson1_1 protocol: POST / with X-Amz-Target, a JSON body), and S3's
// GetObject for a config kept in a bucket (S3).
//
// Why not the SDK's service clients: a Go package's initialisation runs in
// every process that links it, used or not, and the SDK's service packages
// build their whole model at start. Measured with GODEBUG=inittrace=1 on
// the gateway bootstrap, ssm's init took 9 ms and 1.4 MB of heap (its
// schemas alone 8.5 ms), secretsmanager's 1.2 ms: a third of the process's
// package initialisation, paid at every Lambda cold start and billed as
// init time, for one call each; s3 added 0.9 MB to the binary and 730
// allocations at start. A call here is the SDK's own pieces: the
// aws.Config from config.LoadDefaultConfig (credentials, region, HTTP
// client, the AWS_ENDPOINT_URL_* variables), its SigV4 signer and its
// retryer; only the request and the error decoding are ours.
package awscall

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// maxAnswer bounds what one answer may hold: SSM parameters are at most
// 8 KB and secrets 64 KB, so anything near this is not an answer.
const maxAnswer = 4 << 20

// Service names one awsJson1_1 service.
type Service struct {
	// Name is the service's name in errors, as the SDK writes it ("SSM").
	Name string
	// SDKID is the SDK's service id, from which the endpoint variable's
	// name is made: "Secrets Manager" reads AWS_ENDPOINT_URL_SECRETS_MANAGER
	// and a services section's secrets_manager key.
	SDKID string
	// EndpointPrefix is the host's first label ("ssm" in
	// ssm.us-east-1.amazonaws.com) and SigningName the SigV4 service name.
	EndpointPrefix, SigningName string
	// TargetPrefix precedes the operation in X-Amz-Target ("AmazonSSM").
	TargetPrefix string
	// GovFIPSPlain: in AWS GovCloud the service's FIPS endpoint is its
	// plain one, outside dual-stack (SSM's is; Secrets Manager has a -fips
	// host there too).
	GovFIPSPlain bool
	// DualStackPlain: the service's public hosts answer IPv6 as they are,
	// so its dual-stack endpoint is the plain one (Secrets Manager's),
	// except its FIPS hosts in China.
	DualStackPlain bool
}

// The services Tollgate calls.
var (
	SSM = Service{Name: "SSM", SDKID: "SSM", EndpointPrefix: "ssm", SigningName: "ssm", TargetPrefix: "AmazonSSM", GovFIPSPlain: true}

	SecretsManager = Service{Name: "Secrets Manager", SDKID: "Secrets Manager", EndpointPrefix: "secretsmanager",
		SigningName: "secretsmanager", TargetPrefix: "secretsmanager", DualStackPlain: true}
)

// caller is what every client here shares: the region, credentials, HTTP
// client, signer and retryer the SDK's service client would have.
type caller struct {
	name    string // the service, in errors
	region  string
	creds   aws.CredentialsProvider
	http    aws.HTTPClient
	signer  *v4.Signer
	retryer aws.Retryer
	now     func() time.Time
}

func newCaller(cfg aws.Config, name string) (caller, error) {
	if cfg.Region == "" {
		return caller{}, fmt.Errorf("%s: no AWS region (set AWS_REGION)", name)
	}
	if cfg.Credentials == nil {
		return caller{}, fmt.Errorf("%s: no AWS credentials configured", name)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = awshttp.NewBuildableClient()
	}
	return caller{name: name, region: cfg.Region, creds: cfg.Credentials, http: hc, signer: v4.NewSigner(),
		retryer: newRetryer(cfg), now: time.Now}, nil
}

// newRetryer is the retryer the SDK's service client would use with cfg.
func newRetryer(cfg aws.Config) aws.Retryer {
	if cfg.Retryer != nil {
		return cfg.Retryer()
	}
	std := func(o *retry.StandardOptions) {
		if cfg.RetryMaxAttempts != 0 {
			o.MaxAttempts = cfg.RetryMaxAttempts
		}
	}
	if cfg.RetryMode == aws.RetryModeAdaptive {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, std)
		})
	}
	return retry.NewStandard(std)
}

// retry runs attempt until it succeeds, fails for good or the retryer
// gives up, and names the service and operation in its error.
func (c *caller) retry(ctx context.Context, operation string, attempt func() error) error {
	release := c.retryer.GetInitialToken()
	for n := 1; ; n++ {
		err := attempt()
		_ = release(err)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || n >= c.retryer.MaxAttempts() || !c.retryer.IsErrorRetryable(err) {
			return c.wrap(operation, err)
		}
		delay, derr := c.retryer.RetryDelay(n, err)
		if derr != nil {
			return c.wrap(operation, err)
		}
		if release, derr = c.retryer.GetRetryToken(ctx, err); derr != nil {
			return c.wrap(operation, err) // the retry budget is spent
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.wrap(operation, ctx.Err())
		case <-t.C:
		}
	}
}

// send signs req for service (payloadHash is the body's SHA-256, hex) and
// sends it.
func (c *caller) send(ctx context.Context, req *http.Request, payloadHash, service string, opts ...func(*v4.SignerOptions)) (*http.Response, error) {
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrieving AWS credentials: %w", err)
	}
	if !creds.HasKeys() {
		return nil, errors.New("retrieving AWS credentials: no access key")
	}
	if err := c.signer.SignHTTP(ctx, creds, req, payloadHash, service, c.region, c.now().UTC(), opts...); err != nil {
		return nil, fmt.Errorf("signing the request: %w", err)
	}
	return c.http.Do(req)
}

// readAnswer reads a body of at most limit bytes.
func readAnswer(resp *http.Response, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &Error{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header), Code: "ReadError", Message: err.Error(), err: err}
	}
	if int64(len(data)) > limit {
		return nil, &Error{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header), Code: "AnswerTooLarge",
			Message: fmt.Sprintf("the answer is larger than %d bytes", limit)}
	}
	return data, nil
}

// Client calls one awsJson1_1 service. It is safe for concurrent use.
type Client struct {
	caller
	svc      Service
	endpoint string // scheme://host[/path], no trailing slash
}

// New returns a client of svc configured as the SDK would configure that
// service's client from cfg: its region, credentials, HTTP client and
// retry settings, and the endpoint from the configured endpoint variables
// (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the shared config's
// services section) or else the service's public one.
func New(ctx context.Context, cfg aws.Config, svc Service) (*Client, error) {
	c, err := newCaller(cfg, svc.Name)
	if err != nil {
		return nil, err
	}
	endpoint, err := resolveEndpoint(ctx, cfg, svc)
	if err != nil {
		return nil, err
	}
	return &Client{caller: c, svc: svc, endpoint: endpoint}, nil
}

// Endpoint returns the endpoint the client calls.
func (c *Client) Endpoint() string { return c.endpoint }

// Call runs operation with in as its JSON input and decodes the answer into
// out, retrying as the SDK's retryer decides. A service error is an *Error
// (which satisfies smithy.APIError); every error names the service and the
// operation.
func (c *Client) Call(ctx context.Context, operation string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return c.wrap(operation, fmt.Errorf("encoding the input: %w", err))
	}
	return c.retry(ctx, operation, func() error { return c.once(ctx, operation, body, out) })
}

// wrap names the service and the operation, as the SDK's errors do.
func (c *caller) wrap(operation string, err error) error {
	return &OperationError{Service: c.name, Operation: operation, Err: err}
}

// once makes one attempt.
func (c *Client) once(ctx context.Context, operation string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", c.svc.TargetPrefix+"."+operation)
	sum := sha256.Sum256(body)
	resp, err := c.send(ctx, req, hex.EncodeToString(sum[:]), c.svc.SigningName)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := readAnswer(resp, maxAnswer)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header), Code: "DeserializationError",
			Message: "decoding the answer: " + err.Error(), err: err}
	}
	return nil
}

func requestID(h http.Header) string {
	if id := h.Get("X-Amzn-Requestid"); id != "" {
		return id
	}
	return h.Get("X-Amz-Request-Id")
}

// decodeError reads an awsJson1_1 error: the code from X-Amzn-ErrorType or
// the body's __type (either may carry a namespace before '#' and a URI
// after ':'), the message from message or Message.
func decodeError(resp *http.Response, data []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header)}
	var body struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageC string `json:"Message"`
	}
	_ = json.Unmarshal(data, &body) // a body that is not JSON leaves the status to speak
	e.Code = resp.Header.Get("X-Amzn-ErrorType")
	if e.Code == "" {
		e.Code = body.Type
	}
	if e.Code == "" {
		e.Code = body.Code
	}
	if i := strings.IndexByte(e.Code, ':'); i >= 0 {
		e.Code = e.Code[:i]
	}
	if i := strings.LastIndexByte(e.Code, '#'); i >= 0 {
		e.Code = e.Code[i+1:]
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	e.Message = body.Message
	if e.Message == "" {
		e.Message = body.MessageC
	}
	return e
}
