package awsfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// IAM is the fakes' shared view of principals and credentials: the users and
// roles that exist, who may assume which role, and every access key issued so
// far. STS mints keys into it and Bedrock verifies signatures against it.
type IAM struct {
	now func() time.Time

	mu    sync.Mutex
	keys  map[string]*key
	roles map[string]*Role // by role ARN as written
	seq   int
}

// Role is a role that can be assumed.
type Role struct {
	// ARN is arn:aws:iam::ACCOUNT:role/[path/]NAME.
	ARN string
	// Trust lists who may call AssumeRole on this role. A role never trusts
	// itself unless a rule says so, as in AWS.
	Trust []Trust
	// WebIdentityTokens are the OIDC tokens AssumeRoleWithWebIdentity accepts
	// for this role.
	WebIdentityTokens []string
}

// Trust is one trust-policy statement.
type Trust struct {
	// Principal is a user ARN, a role ARN (any session of that role) or an
	// assumed-role session ARN (exactly that session).
	Principal string
	// ExternalID, when set, must match the caller's ExternalId.
	ExternalID string
}

type key struct {
	creds     aws.Credentials
	principal string // user ARN or assumed-role ARN
}

// NewIAM returns an empty IAM. now is the clock used for credential expiry;
// nil means time.Now.
func NewIAM(now func() time.Time) *IAM {
	if now == nil {
		now = time.Now
	}
	return &IAM{now: now, keys: map[string]*key{}, roles: map[string]*Role{}}
}

// Now returns the IAM's clock reading.
func (i *IAM) Now() time.Time { return i.now() }

// AddUser registers an IAM user and returns its long-term access key. The key
// is deterministic: AKIA<NAME> with secret "secret-<name>".
func (i *IAM) AddUser(userARN string) aws.Credentials {
	name := userARN[strings.LastIndex(userARN, "/")+1:]
	c := aws.Credentials{
		AccessKeyID:     "AKIA" + keyName(name),
		SecretAccessKey: "secret-" + name,
		Source:          "awsfake",
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys[c.AccessKeyID] = &key{creds: c, principal: userARN}
	return c
}

// AddRole registers a role.
func (i *IAM) AddRole(r Role) {
	i.mu.Lock()
	defer i.mu.Unlock()
	rc := r
	i.roles[r.ARN] = &rc
}

// NewSession mints temporary credentials for a session of roleARN, as STS
// would, valid for ttl. Tests use it to stand in for ambient credentials
// (a Lambda execution role); STS uses it for every assumed role.
func (i *IAM) NewSession(roleARN, sessionName string, ttl time.Duration) aws.Credentials {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.newSessionLocked(roleARN, sessionName, ttl)
}

func (i *IAM) newSessionLocked(roleARN, sessionName string, ttl time.Duration) aws.Credentials {
	i.seq++
	acct, name := roleParts(roleARN)
	akid := fmt.Sprintf("ASIA%s%04d", keyName(name), i.seq)
	c := aws.Credentials{
		AccessKeyID:     akid,
		SecretAccessKey: "secret-" + akid,
		SessionToken:    "token-" + akid,
		Source:          "awsfake",
		CanExpire:       true,
		Expires:         i.now().Add(ttl).UTC().Truncate(time.Second),
	}
	i.keys[akid] = &key{creds: c, principal: "arn:aws:sts::" + acct + ":assumed-role/" + name + "/" + sessionName}
	return c
}

// Principal returns the ARN of the identity an access key belongs to: a user
// ARN, or arn:aws:sts::ACCT:assumed-role/NAME/SESSION for temporary keys.
func (i *IAM) Principal(accessKeyID string) (string, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	k, ok := i.keys[accessKeyID]
	if !ok {
		return "", false
	}
	return k.principal, true
}

func (i *IAM) role(arn string) (Role, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	r, ok := i.roles[arn]
	if !ok {
		return Role{}, false
	}
	return *r, true
}

// trusts reports whether role r trusts principal with the given external id.
func (r *Role) trusts(principal, externalID string) bool {
	for _, t := range r.Trust {
		if !principalMatches(t.Principal, principal) {
			continue
		}
		if t.ExternalID != "" && t.ExternalID != externalID {
			continue
		}
		return true
	}
	return false
}

// principalMatches reports whether a trust-policy principal covers caller.
// A role ARN covers every session of that role, as IAM does.
func principalMatches(policy, caller string) bool {
	if policy == caller {
		return true
	}
	pAcct, pName, okP := strings.Cut(strings.TrimPrefix(policy, "arn:aws:iam::"), ":role/")
	if !okP || !strings.HasPrefix(policy, "arn:aws:iam::") {
		return false
	}
	pName = pName[strings.LastIndex(pName, "/")+1:]
	rest, ok := strings.CutPrefix(caller, "arn:aws:sts::"+pAcct+":assumed-role/")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	return name == pName
}

// roleParts splits arn:aws:iam::ACCT:role/path/NAME into ACCT and NAME.
func roleParts(arn string) (acct, name string) {
	rest := strings.TrimPrefix(arn, "arn:aws:iam::")
	acct, path, _ := strings.Cut(rest, ":role/")
	return acct, path[strings.LastIndex(path, "/")+1:]
}

// keyName turns a principal name into the upper-case alphanumerics an access
// key id may hold.
func keyName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// signature is what a verified SigV4 Authorization header told us.
type signature struct {
	AccessKeyID string
	Principal   string
	Region      string
	Service     string
}

// authError is an AWS authentication failure, shaped for either protocol.
type authError struct {
	status  int
	code    string
	message string
}

// verify checks r's SigV4 signature over body against the issued secret, the
// session token and the key's expiry, as AWS front ends do.
func (i *IAM) verify(r *http.Request, body []byte) (signature, *authError) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return signature{}, &authError{http.StatusForbidden, "MissingAuthenticationToken", "Missing Authentication Token"}
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return signature{}, &authError{http.StatusForbidden, "IncompleteSignature", "malformed Credential in Authorization header"}
	}
	sig := signature{AccessKeyID: scope[0], Region: scope[2], Service: scope[3]}

	i.mu.Lock()
	k, ok := i.keys[sig.AccessKeyID]
	i.mu.Unlock()
	if !ok {
		return sig, &authError{http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	sig.Principal = k.principal
	if k.creds.SessionToken != r.Header.Get("X-Amz-Security-Token") {
		return sig, &authError{http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	if k.creds.CanExpire && !i.now().Before(k.creds.Expires) {
		return sig, &authError{http.StatusForbidden, "ExpiredTokenException", "The security token included in the request is expired"}
	}

	signed := strings.Split(fields["SignedHeaders"], ";")
	sort.Strings(signed)
	var canon strings.Builder
	for _, h := range signed {
		var vals []string
		switch h {
		case "host":
			vals = []string{r.Host}
		case "content-length":
			vals = []string{fmt.Sprint(r.ContentLength)}
		default:
			vals = slices.Clone(r.Header.Values(h))
		}
		for j := range vals {
			vals[j] = strings.Join(strings.Fields(vals[j]), " ")
		}
		canon.WriteString(h + ":" + strings.Join(vals, ",") + "\n")
	}
	payload := sha256.Sum256(body)
	creq := strings.Join([]string{
		r.Method,
		httpbinding.EscapePath(escapedPath(r), false),
		canonicalQuery(r),
		canon.String(),
		strings.Join(signed, ";"),
		hex.EncodeToString(payload[:]),
	}, "\n")
	creqHash := sha256.Sum256([]byte(creq))
	amzDate := r.Header.Get("X-Amz-Date")
	toSign := strings.Join([]string{
		"AWS4-HMAC-SHA256", amzDate, strings.Join(scope[1:], "/"), hex.EncodeToString(creqHash[:]),
	}, "\n")
	kDate := hmacSHA256([]byte("AWS4"+k.creds.SecretAccessKey), scope[1])
	kRegion := hmacSHA256(kDate, scope[2])
	kService := hmacSHA256(kRegion, scope[3])
	kSigning := hmacSHA256(kService, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(kSigning, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return sig, &authError{http.StatusForbidden, "InvalidSignatureException",
			"The request signature we calculated does not match the signature you provided."}
	}
	return sig, nil
}

func escapedPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

func canonicalQuery(r *http.Request) string {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			parts = append(parts, httpbinding.EscapePath(k, true)+"="+httpbinding.EscapePath(v, true))
		}
	}
	return strings.Join(parts, "&")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
