package awscred

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// DefaultExpiryWindow is how long before expiry cached credentials are
// refreshed unless Options say otherwise.
const DefaultExpiryWindow = 5 * time.Minute

// Options tune a Resolver. The zero value (or nil) means defaults.
type Options struct {
	// GatewayName is the default role session name, made valid for STS
	// (see SessionName); empty means "tollgate".
	GatewayName string
	// Now is the clock that decides expiry; nil means time.Now.
	Now func() time.Time
	// ExpiryWindow is how long before expiry credentials are refreshed;
	// zero means DefaultExpiryWindow.
	ExpiryWindow time.Duration
	// Logger receives debug logs of identities and roles; nil discards.
	Logger *slog.Logger
	// Getenv reads the ambient IRSA variables (AWS_WEB_IDENTITY_TOKEN_FILE,
	// AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME); nil means os.Getenv.
	Getenv func(string) string
	// ReadFile reads the IRSA token file; nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// SharedConfigFiles and SharedCredentialsFiles are where profiles are
	// looked up; nil means the SDK's defaults (~/.aws/config, ~/.aws/credentials).
	SharedConfigFiles      []string
	SharedCredentialsFiles []string
}

// Resolver turns deployment Specs into aws.Configs. It holds the credential
// cache shared by every deployment built from it; build one per process
// (or per test) and Close it when done.
type Resolver struct {
	base    aws.Config
	opts    Options
	log     *slog.Logger
	session string // default role session name

	mu      sync.Mutex
	entries map[string]*entry
	callers map[string]string // source key → caller ARN from GetCallerIdentity
}

// NewResolver returns a Resolver over base, the ambient configuration
// (typically config.LoadDefaultConfig's result). opts may be nil.
func NewResolver(base aws.Config, opts *Options) *Resolver {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ExpiryWindow == 0 {
		o.ExpiryWindow = DefaultExpiryWindow
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	name := o.GatewayName
	if name == "" {
		name = "tollgate"
	}
	return &Resolver{
		base:    base.Copy(),
		opts:    o,
		log:     log,
		session: SessionName(name),
		entries: map[string]*entry{},
		callers: map[string]string{},
	}
}

// Close drops every cached credential.
func (r *Resolver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = map[string]*entry{}
	r.callers = map[string]string{}
	return nil
}

// Config returns the aws.Config a deployment's clients are built from: the
// base configuration with the deployment's region and credentials. It makes
// no network call; STS is called when a client first signs a request. The
// endpoints in spec are not applied here: a client built from the result sets
// its own BaseEndpoint from Spec.BedrockRuntimeEndpoint, so the SDK's
// AWS_ENDPOINT_URL_* variables still apply when the Spec has none.
func (r *Resolver) Config(ctx context.Context, spec Spec) (aws.Config, error) {
	if err := spec.validate(); err != nil {
		return aws.Config{}, err
	}
	region := spec.Region
	if region == "" {
		region = r.base.Region
	}
	if region == "" {
		return aws.Config{}, invalid("no AWS region: set aws_region_name or AWS_REGION")
	}
	provider, err := r.provider(ctx, spec, region)
	if err != nil {
		return aws.Config{}, err
	}
	cfg := r.base.Copy()
	cfg.Region = region
	cfg.Credentials = provider
	return cfg, nil
}

// source is the identity a role is assumed from.
type source struct {
	key  string // cache-key component; never a secret
	desc string // for logs and errors; never a secret
	prov aws.CredentialsProvider
	// role is the role ARN the source is known to be without asking STS.
	role string
	// askCaller says GetCallerIdentity may show the source to be a role.
	askCaller bool
}

func (r *Resolver) provider(ctx context.Context, spec Spec, region string) (aws.CredentialsProvider, error) {
	src, err := r.source(ctx, spec, region)
	if err != nil {
		return nil, err
	}
	if spec.RoleARN == "" {
		r.log.Debug("AWS credentials resolved", "source", src.desc, "region", region)
		return src.prov, nil
	}
	if src.role != "" && SameRole(src.role, spec.RoleARN) {
		r.log.Debug("source identity already is the target role; not assuming it again",
			"source", src.desc, "role", spec.RoleARN)
		return src.prov, nil
	}
	session := spec.SessionName
	if session == "" {
		session = r.session
	}
	key := strings.Join([]string{"assume", src.key, spec.RoleARN, session, spec.ExternalID, region, spec.STSEndpoint}, "\x00")
	return r.entry(key, spec.RoleARN, func(ctx context.Context) (aws.Credentials, error) {
		return r.assumeRole(ctx, src, spec, region, session)
	}), nil
}

// source picks the identity in the documented order.
func (r *Resolver) source(ctx context.Context, spec Spec, region string) (source, error) {
	switch {
	case spec.AccessKeyID != "":
		return source{
			key:  "keys:" + spec.AccessKeyID,
			desc: "explicit keys " + spec.AccessKeyID,
			prov: credentials.NewStaticCredentialsProvider(spec.AccessKeyID, spec.SecretAccessKey, spec.SessionToken),
			// Long-term keys belong to a user, never a role; temporary
			// ones may be a session of the target role itself.
			askCaller: spec.SessionToken != "",
		}, nil
	case spec.Profile != "":
		opts := []func(*config.LoadOptions) error{
			config.WithSharedConfigProfile(spec.Profile),
			config.WithRegion(region),
		}
		if r.opts.SharedConfigFiles != nil {
			opts = append(opts, config.WithSharedConfigFiles(r.opts.SharedConfigFiles))
		}
		if r.opts.SharedCredentialsFiles != nil {
			opts = append(opts, config.WithSharedCredentialsFiles(r.opts.SharedCredentialsFiles))
		}
		if r.base.HTTPClient != nil {
			opts = append(opts, config.WithHTTPClient(r.base.HTTPClient))
		}
		pc, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return source{}, fmt.Errorf("%w: aws_profile_name %q: %w", ErrInvalidSpec, spec.Profile, err)
		}
		if pc.Credentials == nil {
			return source{}, invalid("aws_profile_name %q has no credentials", spec.Profile)
		}
		return source{key: "profile:" + spec.Profile, desc: "profile " + spec.Profile, prov: pc.Credentials, askCaller: true}, nil
	case spec.WebIdentityToken != "":
		session := spec.SessionName
		if session == "" {
			session = r.session
		}
		sum := sha256.Sum256([]byte(spec.WebIdentityToken))
		tokenID := hex.EncodeToString(sum[:8])
		token := spec.WebIdentityToken
		desc := "web identity token for " + spec.RoleARN
		key := strings.Join([]string{"webid", tokenID, spec.RoleARN, session, region, spec.STSEndpoint}, "\x00")
		prov := r.entry(key, spec.RoleARN, func(ctx context.Context) (aws.Credentials, error) {
			return r.assumeWithWebIdentity(ctx, spec.RoleARN, session, region, spec.STSEndpoint, desc,
				func() (string, error) { return token, nil })
		})
		return source{key: "webid:" + tokenID + ":" + spec.RoleARN, desc: desc, prov: prov, role: spec.RoleARN}, nil
	}
	if file, role := r.opts.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), r.opts.Getenv("AWS_ROLE_ARN"); file != "" && role != "" {
		session := r.opts.Getenv("AWS_ROLE_SESSION_NAME")
		if session == "" {
			session = r.session
		}
		desc := "IRSA role " + role
		key := strings.Join([]string{"irsa", file, role, session, region, spec.STSEndpoint}, "\x00")
		prov := r.entry(key, role, func(ctx context.Context) (aws.Credentials, error) {
			return r.assumeWithWebIdentity(ctx, role, session, region, spec.STSEndpoint, desc, func() (string, error) {
				// Read on every refresh: the kubelet rotates the token file.
				b, err := r.opts.ReadFile(file)
				if err != nil {
					return "", fmt.Errorf("reading AWS_WEB_IDENTITY_TOKEN_FILE: %w", err)
				}
				return strings.TrimSpace(string(b)), nil
			})
		})
		return source{key: "irsa:" + role, desc: desc, prov: prov, role: role}, nil
	}
	if r.base.Credentials == nil {
		return source{}, invalid("no AWS credentials: the deployment sets none and the ambient configuration has none")
	}
	return source{key: "ambient", desc: "ambient credentials", prov: r.base.Credentials, askCaller: true}, nil
}

// entry returns the shared cache entry for key, creating it with fetch.
func (r *Resolver) entry(key, what string, fetch func(context.Context) (aws.Credentials, error)) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[key]; ok {
		return e
	}
	e := &entry{fetch: fetch, now: r.opts.Now, window: r.opts.ExpiryWindow, log: r.log, what: what}
	r.entries[key] = e
	return e
}

// stsClient builds an STS client for one region and endpoint, signing with
// creds. The SDK's own retries stay on: the router does not retry STS.
func (r *Resolver) stsClient(region, endpoint string, creds aws.CredentialsProvider) *sts.Client {
	cfg := r.base.Copy()
	cfg.Region = region
	cfg.Credentials = creds
	return sts.NewFromConfig(cfg, func(o *sts.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

func (r *Resolver) assumeRole(ctx context.Context, src source, spec Spec, region, session string) (aws.Credentials, error) {
	client := r.stsClient(region, spec.STSEndpoint, src.prov)
	who := src.role
	if src.askCaller {
		arn, err := r.callerARN(ctx, src, client)
		if err != nil {
			return aws.Credentials{}, err
		}
		who = arn
		if SameRole(arn, spec.RoleARN) {
			r.log.Debug("source identity already is the target role; not assuming it again",
				"source", src.desc, "caller", arn, "role", spec.RoleARN)
			c, err := src.prov.Retrieve(ctx)
			if err != nil {
				return aws.Credentials{}, fmt.Errorf("retrieving %s: %w", src.desc, err)
			}
			return c, nil
		}
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(spec.RoleARN), RoleSessionName: aws.String(session)}
	if spec.ExternalID != "" {
		in.ExternalId = aws.String(spec.ExternalID)
	}
	out, err := client.AssumeRole(ctx, in)
	if err != nil {
		return aws.Credentials{}, stsError("AssumeRole", spec.RoleARN, src.desc, err)
	}
	c, err := stsCreds(out.Credentials)
	if err != nil {
		return aws.Credentials{}, stsError("AssumeRole", spec.RoleARN, src.desc, err)
	}
	assumed := ""
	if out.AssumedRoleUser != nil {
		assumed = aws.ToString(out.AssumedRoleUser.Arn)
	}
	r.log.Debug("assumed AWS role", "source", src.desc, "caller", who, "role", spec.RoleARN,
		"session_name", session, "external_id_set", spec.ExternalID != "", "assumed_arn", assumed,
		"region", region, "expires", c.Expires)
	return c, nil
}

func (r *Resolver) assumeWithWebIdentity(ctx context.Context, role, session, region, endpoint, desc string,
	token func() (string, error)) (aws.Credentials, error) {
	tok, err := token()
	if err != nil {
		return aws.Credentials{}, stsError("AssumeRoleWithWebIdentity", role, desc, err)
	}
	// The call is unsigned; anonymous credentials keep the ambient ones out of it.
	client := r.stsClient(region, endpoint, aws.AnonymousCredentials{})
	out, err := client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(role),
		RoleSessionName:  aws.String(session),
		WebIdentityToken: aws.String(tok),
	})
	if err != nil {
		return aws.Credentials{}, stsError("AssumeRoleWithWebIdentity", role, desc, err)
	}
	c, err := stsCreds(out.Credentials)
	if err != nil {
		return aws.Credentials{}, stsError("AssumeRoleWithWebIdentity", role, desc, err)
	}
	r.log.Debug("assumed AWS role with web identity", "source", desc, "role", role,
		"session_name", session, "region", region, "expires", c.Expires)
	return c, nil
}

// callerARN asks STS who the source is, once per source.
func (r *Resolver) callerARN(ctx context.Context, src source, client *sts.Client) (string, error) {
	r.mu.Lock()
	arn, ok := r.callers[src.key]
	r.mu.Unlock()
	if ok {
		return arn, nil
	}
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", stsError("GetCallerIdentity", "", src.desc, err)
	}
	arn = aws.ToString(out.Arn)
	r.log.Debug("AWS source identity", "source", src.desc, "caller", arn)
	r.mu.Lock()
	r.callers[src.key] = arn
	r.mu.Unlock()
	return arn, nil
}

var errNoCredentials = errors.New("STS returned no credentials")

func stsCreds(c *ststypes.Credentials) (aws.Credentials, error) {
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.Expiration == nil {
		return aws.Credentials{}, errNoCredentials
	}
	return aws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          "tollgate/awscred",
		CanExpire:       true,
		Expires:         *c.Expiration,
	}, nil
}
