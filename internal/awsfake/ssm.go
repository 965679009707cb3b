package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SSMOptions configure a fake SSM Parameter Store. The zero value is usable.
type SSMOptions struct {
	// Latency is the delay before each answer; zero means DefaultLatency,
	// negative means none.
	Latency time.Duration
	// Region and Account build parameter ARNs; empty means us-east-1 and
	// 111111111111.
	Region, Account string
}

// SSMCall is one request the fake SSM received.
type SSMCall struct {
	// Operation (e.g. GetParameter), AccessKeyID, Principal and Region (from
	// the SigV4 signature; empty when the fake has no IAM) and ErrorCode
	// (empty on success).
	jsonCall
	// Name is the parameter name as sent, selector included.
	Name           string
	WithDecryption bool
}

// SSM is a fake AWS Systems Manager Parameter Store speaking awsJson1_1
// (X-Amz-Target: AmazonSSM.GetParameter). It answers GetParameter, with
// "name:version" selectors, and returns SecureString values decrypted only
// when WithDecryption is set. It is an http.Handler.
type SSM struct {
	callLog[SSMCall]
	iam             *IAM
	latency         time.Duration
	region, account string

	mu     sync.Mutex
	params map[string]*fakeParameter
}

type fakeParameter struct {
	typ      string
	versions []fakeParameterVersion
}

type fakeParameterVersion struct {
	value    string
	modified time.Time
}

// NewSSM returns a fake SSM. Requests are verified against iam's
// credentials; a nil iam accepts any signature. opts may be nil.
func NewSSM(iam *IAM, opts *SSMOptions) *SSM {
	var o SSMOptions
	if opts != nil {
		o = *opts
	}
	if o.Latency == 0 {
		o.Latency = DefaultLatency
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "111111111111"
	}
	return &SSM{iam: iam, latency: o.Latency, region: o.Region, account: o.Account, params: map[string]*fakeParameter{}}
}

// PutParameter stores value as a new version of the parameter name, of type
// typ ("String", "StringList" or "SecureString"; empty keeps the current type
// or means String), and returns the new version number, as
// PutParameter with Overwrite does.
func (s *SSM) PutParameter(name, typ, value string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	if p == nil {
		p = &fakeParameter{typ: "String"}
		s.params[name] = p
	}
	if typ != "" {
		p.typ = typ
	}
	modified := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(len(p.versions)) * time.Minute)
	p.versions = append(p.versions, fakeParameterVersion{value: value, modified: modified})
	return int64(len(p.versions))
}

// Count returns how many calls of operation arrived ("" counts all).
func (s *SSM) Count(operation string) int {
	return s.count(func(c *SSMCall) bool { return operation == "" || c.Operation == operation })
}

// ServeHTTP answers one awsJson1_1 request.
func (s *SSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var call SSMCall
	info, ok := answerJSON(w, r, s.latency, s.iam, "AmazonSSM", func(w http.ResponseWriter, req *jsonRequest) { s.serve(w, req, &call) })
	if ok {
		call.jsonCall = info
		s.record(call)
	}
}

func (s *SSM) serve(w http.ResponseWriter, req *jsonRequest, call *SSMCall) {
	if req.operation != "GetParameter" {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "the fake answers GetParameter only")
		return
	}
	var in struct {
		Name           string `json:"Name"`
		WithDecryption bool   `json:"WithDecryption"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "cannot decode the request")
		return
	}
	call.Name, call.WithDecryption = in.Name, in.WithDecryption
	if in.Name == "" {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
		return
	}
	name, selector, version := in.Name, "", 0
	if i := strings.LastIndexByte(in.Name, ':'); i > 0 && !strings.HasPrefix(in.Name, "arn:") {
		n, err := strconv.Atoi(in.Name[i+1:])
		if err != nil || n < 1 {
			writeJSONError(w, http.StatusBadRequest, "ParameterVersionNotFound", "Systems Manager could not find version "+in.Name[i+1:]+" of "+in.Name[:i]+".")
			return
		}
		name, selector, version = in.Name[:i], in.Name[i:], n
	}
	name = strings.TrimPrefix(name, "arn:aws:ssm:"+s.region+":"+s.account+":parameter")
	s.mu.Lock()
	p := s.params[name]
	var typ string
	var v fakeParameterVersion
	found := p != nil && len(p.versions) > 0 && version <= len(p.versions)
	if found {
		typ = p.typ
		if version == 0 {
			version = len(p.versions)
		}
		v = p.versions[version-1]
	}
	s.mu.Unlock()
	if p == nil {
		writeJSONError(w, http.StatusBadRequest, "ParameterNotFound", "")
		return
	}
	if !found {
		writeJSONError(w, http.StatusBadRequest, "ParameterVersionNotFound", "Systems Manager could not find version "+strconv.Itoa(version)+" of "+name+".")
		return
	}
	value := v.value
	if typ == "SecureString" && !in.WithDecryption {
		// What the service returns is the KMS ciphertext; any opaque blob
		// that is not the value will do.
		value = base64.StdEncoding.EncodeToString([]byte("kms-ciphertext:" + strconv.Itoa(version) + ":" + name))
	}
	arnName := name
	if !strings.HasPrefix(arnName, "/") {
		arnName = "/" + arnName
	}
	out := map[string]any{"Parameter": map[string]any{
		"ARN": "arn:aws:ssm:" + s.region + ":" + s.account + ":parameter" + arnName, "DataType": "text",
		"LastModifiedDate": float64(v.modified.Unix()), "Name": name, "Type": typ, "Value": value, "Version": version,
		"Selector": selector,
	}}
	if selector == "" {
		delete(out["Parameter"].(map[string]any), "Selector")
	}
	writeJSON(w, out)
}
