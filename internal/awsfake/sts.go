package awsfake

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultLatency is how long each fake waits before answering unless its
// options say otherwise.
const DefaultLatency = 3 * time.Millisecond

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// STSOptions configure a fake STS. The zero value is usable.
type STSOptions struct {
	// Latency is the delay before each answer; zero means DefaultLatency,
	// negative means none.
	Latency time.Duration
	// TTL is the lifetime of issued credentials when the caller does not ask
	// for DurationSeconds; zero means one hour.
	TTL time.Duration
}

// STSCall is one request the fake STS received.
type STSCall struct {
	// Action is AssumeRole, AssumeRoleWithWebIdentity or GetCallerIdentity.
	Action string
	// AccessKeyID and Principal identify who signed the call; both are empty
	// for AssumeRoleWithWebIdentity, which is unsigned.
	AccessKeyID string
	Principal   string
	// Region is the signing region.
	Region           string
	RoleARN          string
	RoleSessionName  string
	ExternalID       string
	WebIdentityToken string
	DurationSeconds  int
	// ErrorCode is the STS error returned, empty on success.
	ErrorCode string
	// IssuedAccessKeyID is the access key minted on success.
	IssuedAccessKeyID string
}

// STS is a fake AWS Security Token Service. It is an http.Handler; serve it
// with httptest.NewServer or InProcessClient.
type STS struct {
	callLog[STSCall]
	iam     *IAM
	latency time.Duration
	ttl     time.Duration
}

// NewSTS returns a fake STS over iam. opts may be nil.
func NewSTS(iam *IAM, opts *STSOptions) *STS {
	var o STSOptions
	if opts != nil {
		o = *opts
	}
	if o.Latency == 0 {
		o.Latency = DefaultLatency
	}
	if o.TTL == 0 {
		o.TTL = time.Hour
	}
	return &STS{iam: iam, latency: o.Latency, ttl: o.TTL}
}

// Count returns how many calls of the given action arrived; "" counts all.
func (s *STS) Count(action string) int {
	return s.count(func(c *STSCall) bool { return action == "" || c.Action == action })
}

var (
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// ServeHTTP answers one Query-protocol request.
func (s *STS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !wait(r, s.latency) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeSTSError(w, http.StatusBadRequest, "Sender", "InvalidRequest", "cannot read body")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || r.Method != http.MethodPost {
		writeSTSError(w, http.StatusBadRequest, "Sender", "InvalidRequest", "expected a form-encoded POST")
		return
	}
	call := STSCall{
		Action:           form.Get("Action"),
		RoleARN:          form.Get("RoleArn"),
		RoleSessionName:  form.Get("RoleSessionName"),
		ExternalID:       form.Get("ExternalId"),
		WebIdentityToken: form.Get("WebIdentityToken"),
	}
	call.DurationSeconds, _ = strconv.Atoi(form.Get("DurationSeconds"))
	status, code, msg, resp := s.handle(r, body, &call)
	call.ErrorCode = code
	s.record(call)
	if code != "" {
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		writeSTSError(w, status, typ, code, msg)
		return
	}
	out, _ := xml.Marshal(resp)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", "req-"+call.Action)
	_, _ = w.Write(append([]byte(xml.Header), out...))
}

func (s *STS) handle(r *http.Request, body []byte, call *STSCall) (status int, code, msg string, resp any) {
	if call.Action != "AssumeRoleWithWebIdentity" {
		sig, aerr := s.iam.verify(r, body)
		call.AccessKeyID, call.Principal, call.Region = sig.AccessKeyID, sig.Principal, sig.Region
		if aerr != nil {
			return aerr.status, stsAuthCode(aerr.code), aerr.message, nil
		}
	}
	switch call.Action {
	case "GetCallerIdentity":
		acct := accountOf(call.Principal)
		return 0, "", "", getCallerIdentityResponse{
			Xmlns: stsNamespace,
			Result: callerIdentity{
				Arn:     call.Principal,
				UserID:  call.AccessKeyID,
				Account: acct,
			},
			RequestID: "req-gci",
		}
	case "AssumeRole", "AssumeRoleWithWebIdentity":
		if !sessionNameRE.MatchString(call.RoleSessionName) {
			return http.StatusBadRequest, "ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at "+
				"'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
				call.RoleSessionName), nil
		}
		if n := len(call.ExternalID); n > 0 && (n < 2 || n > 1224 || !externalIDRE.MatchString(call.ExternalID)) {
			return http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'externalId' " +
				"failed to satisfy constraint", nil
		}
		role, ok := s.iam.role(call.RoleARN)
		if call.Action == "AssumeRole" {
			if !ok || !role.trusts(call.Principal, call.ExternalID) {
				return http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: "+
					"sts:AssumeRole on resource: %s", call.Principal, call.RoleARN), nil
			}
		} else if !ok || !slices.Contains(role.WebIdentityTokens, call.WebIdentityToken) {
			return http.StatusBadRequest, "InvalidIdentityToken", "Couldn't verify the web identity token " +
				"for role " + call.RoleARN, nil
		}
		ttl := s.ttl
		if call.DurationSeconds > 0 {
			ttl = time.Duration(call.DurationSeconds) * time.Second
		}
		s.iam.mu.Lock()
		c := s.iam.newSessionLocked(call.RoleARN, call.RoleSessionName, ttl)
		s.iam.mu.Unlock()
		call.IssuedAccessKeyID = c.AccessKeyID
		principal, _ := s.iam.Principal(c.AccessKeyID)
		res := assumeRoleResult{
			Credentials: stsCredentials{
				AccessKeyID:     c.AccessKeyID,
				SecretAccessKey: c.SecretAccessKey,
				SessionToken:    c.SessionToken,
				Expiration:      c.Expires.UTC().Format(time.RFC3339),
			},
			AssumedRoleUser: assumedRoleUser{Arn: principal, AssumedRoleID: "AROA" + keyName(call.RoleSessionName) + ":" + call.RoleSessionName},
		}
		if call.Action == "AssumeRole" {
			return 0, "", "", assumeRoleResponse{Xmlns: stsNamespace, Result: res, RequestID: "req-ar"}
		}
		return 0, "", "", assumeRoleWithWebIdentityResponse{Xmlns: stsNamespace, Result: webIdentityResult{
			assumeRoleResult:            res,
			SubjectFromWebIdentityToken: "system:serviceaccount:tollgate:gateway",
			Provider:                    "oidc.eks.example",
			Audience:                    "sts.amazonaws.com",
		}, RequestID: "req-arwwi"}
	}
	return http.StatusBadRequest, "InvalidAction", "Could not find operation " + call.Action, nil
}

// stsAuthCode turns a service-neutral auth failure into STS's spelling.
func stsAuthCode(code string) string {
	switch code {
	case "UnrecognizedClientException":
		return "InvalidClientTokenId"
	case "ExpiredTokenException":
		return "ExpiredToken"
	case "InvalidSignatureException":
		return "SignatureDoesNotMatch"
	}
	return code
}

func accountOf(arn string) string {
	// arn:aws:SERVICE::ACCOUNT:...
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

func writeSTSError(w http.ResponseWriter, status int, typ, code, msg string) {
	out, _ := xml.Marshal(stsErrorResponse{
		Xmlns:     stsNamespace,
		Error:     stsError{Type: typ, Code: code, Message: msg},
		RequestID: "req-error",
	})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), out...))
}

type stsErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     stsError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type stsError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type getCallerIdentityResponse struct {
	XMLName   xml.Name       `xml:"GetCallerIdentityResponse"`
	Xmlns     string         `xml:"xmlns,attr"`
	Result    callerIdentity `xml:"GetCallerIdentityResult"`
	RequestID string         `xml:"ResponseMetadata>RequestId"`
}

type callerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

type assumeRoleResponse struct {
	XMLName   xml.Name         `xml:"AssumeRoleResponse"`
	Xmlns     string           `xml:"xmlns,attr"`
	Result    assumeRoleResult `xml:"AssumeRoleResult"`
	RequestID string           `xml:"ResponseMetadata>RequestId"`
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName   xml.Name          `xml:"AssumeRoleWithWebIdentityResponse"`
	Xmlns     string            `xml:"xmlns,attr"`
	Result    webIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	RequestID string            `xml:"ResponseMetadata>RequestId"`
}

type assumeRoleResult struct {
	Credentials     stsCredentials  `xml:"Credentials"`
	AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
}

type webIdentityResult struct {
	assumeRoleResult
	SubjectFromWebIdentityToken string `xml:"SubjectFromWebIdentityToken"`
	Provider                    string `xml:"Provider"`
	Audience                    string `xml:"Audience"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}
