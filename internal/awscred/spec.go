package awscred

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Spec is what one deployment says about its AWS identity. Each field maps
// to the litellm_params key named beside it; empty means not set.
type Spec struct {
	Region          string // aws_region_name
	AccessKeyID     string // aws_access_key_id
	SecretAccessKey string // aws_secret_access_key
	SessionToken    string // aws_session_token
	Profile         string // aws_profile_name
	// RoleARN is the role to assume (aws_role_name), a full IAM role ARN.
	RoleARN string
	// SessionName is the STS role session name (aws_session_name).
	SessionName string
	// ExternalID is the sts:ExternalId the role's trust policy requires
	// (aws_external_id).
	ExternalID string
	// WebIdentityToken is an OIDC token exchanged for RoleARN through
	// AssumeRoleWithWebIdentity (aws_web_identity_token).
	WebIdentityToken string
	// STSEndpoint overrides the STS endpoint (aws_sts_endpoint).
	STSEndpoint string
	// BedrockRuntimeEndpoint overrides the Bedrock runtime endpoint
	// (aws_bedrock_runtime_endpoint). The resolver does not use it; it
	// travels here so one Spec describes the deployment's AWS side.
	BedrockRuntimeEndpoint string
}

// ErrInvalidSpec is wrapped by every error that rejects a Spec as written:
// the deployment's configuration is wrong, not the upstream.
var ErrInvalidSpec = errors.New("invalid AWS credentials configuration")

// The patterns are compiled on first use: compiled at package
// initialisation they cost every process start about a millisecond, and
// most configurations never validate a role.
var (
	sessionNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{2,64}$`) })
	externalIDRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@:/-]+$`) })
	roleARNRE     = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::\d{12}:role/([\x21-\x7e]+/)*[\w+=,.@-]{1,64}$`)
	})
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidSpec}, args...)...)
}

// validate rejects contradictory or malformed specs. It never looks at the
// environment; the resolver does that.
func (s *Spec) validate() error {
	hasID, hasSecret := s.AccessKeyID != "", s.SecretAccessKey != ""
	if hasID != hasSecret {
		missing := "aws_secret_access_key"
		if !hasID {
			missing = "aws_access_key_id"
		}
		return invalid("explicit AWS keys are incomplete: %s is missing (set both, or neither to use the "+
			"profile, web identity or ambient credentials)", missing)
	}
	if s.SessionToken != "" && !hasID {
		return invalid("aws_session_token is set without aws_access_key_id and aws_secret_access_key")
	}
	if s.RoleARN != "" && !roleARNRE().MatchString(s.RoleARN) {
		return invalid("aws_role_name %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s.RoleARN)
	}
	if s.WebIdentityToken != "" && s.RoleARN == "" {
		return invalid("aws_web_identity_token needs aws_role_name, the role the token is exchanged for")
	}
	if s.ExternalID != "" {
		if s.RoleARN == "" {
			return invalid("aws_external_id is set without aws_role_name")
		}
		if n := len(s.ExternalID); n < 2 || n > 1224 || !externalIDRE().MatchString(s.ExternalID) {
			return invalid("aws_external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-")
		}
	}
	if s.SessionName != "" {
		if s.RoleARN == "" {
			return invalid("aws_session_name is set without aws_role_name")
		}
		if !sessionNameRE().MatchString(s.SessionName) {
			return invalid("aws_session_name %q must be 2 to 64 characters of letters, digits and _+=,.@-", s.SessionName)
		}
	}
	for _, ep := range []struct{ name, v string }{
		{"aws_sts_endpoint", s.STSEndpoint},
		{"aws_bedrock_runtime_endpoint", s.BedrockRuntimeEndpoint},
	} {
		if ep.v == "" {
			continue
		}
		u, err := url.Parse(ep.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("%s %q is not an absolute http(s) URL", ep.name, ep.v)
		}
	}
	return nil
}

// SessionName turns a gateway name into a valid STS role session name: the
// characters STS refuses become '-', and the result is 2 to 64 characters.
func SessionName(gateway string) string {
	var b strings.Builder
	for _, r := range gateway {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if len(s) < 2 {
		s = "tollgate" + s
	}
	return s
}

// roleID identifies an IAM role independent of how an ARN spells it.
type roleID struct {
	partition, account, name string
}

// parseRole reads a role ARN (arn:P:iam::ACCT:role/path/NAME) or an
// assumed-role session ARN (arn:P:sts::ACCT:assumed-role/NAME/SESSION).
// Role names are unique in an account whatever their path, and a session
// ARN drops the path, so account and name identify the role.
func parseRole(arn string) (roleID, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return roleID{}, false
	}
	id := roleID{partition: parts[1], account: parts[4]}
	switch {
	case parts[2] == "iam" && strings.HasPrefix(parts[5], "role/"):
		p := parts[5]
		id.name = p[strings.LastIndex(p, "/")+1:]
	case parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/"):
		rest := strings.TrimPrefix(parts[5], "assumed-role/")
		name, _, ok := strings.Cut(rest, "/")
		if !ok {
			return roleID{}, false
		}
		id.name = name
	default:
		return roleID{}, false
	}
	if id.account == "" || id.name == "" {
		return roleID{}, false
	}
	return id, true
}

// SameRole reports whether two ARNs name the same IAM role, comparing a role
// ARN with an assumed-role session ARN as STS would.
func SameRole(a, b string) bool {
	ra, okA := parseRole(a)
	rb, okB := parseRole(b)
	return okA && okB && ra == rb
}
