package awsfake

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// S3Options configure a fake S3. The zero value is usable.
type S3Options struct {
	// Latency is the delay before each answer; zero means DefaultLatency,
	// negative means none.
	Latency time.Duration
}

// S3Call is one request the fake S3 received.
type S3Call struct {
	// Operation is GetObject or HeadObject.
	Operation string
	Bucket    string
	Key       string
	// IfNoneMatch and IfMatch are the conditional headers as sent.
	IfNoneMatch string
	IfMatch     string
	// Status is the HTTP status answered: 200, 304 for an unchanged object,
	// or the error's status.
	Status int
	// AccessKeyID, Principal and Region come from the SigV4 signature (empty
	// when the fake has no IAM).
	AccessKeyID string
	Principal   string
	Region      string
	// ErrorCode is the S3 error code returned, empty on success and on 304.
	ErrorCode string
}

// S3 is a fake Amazon S3 serving GetObject and HeadObject over the REST
// protocol with path-style addressing (GET /BUCKET/KEY; set the SDK client's
// UsePathStyle). It keeps an ETag per object and honours If-None-Match and
// If-Match, so a conditional GET of an unchanged object costs a 304 with no
// body, as on S3. When the client asks for checksums (x-amz-checksum-mode:
// ENABLED, the SDK's default) it sends the object's CRC32 as S3 does for an
// object uploaded with one, and the SDK verifies the body against it.
// Signatures are checked like S3's for keys made of unreserved characters
// (letters, digits, "-._~/"). It is an http.Handler.
type S3 struct {
	callLog[S3Call]
	iam     *IAM
	latency time.Duration

	mu      sync.Mutex
	objects map[string]*fakeObject // by bucket + "/" + key
	buckets map[string]bool
}

type fakeObject struct {
	body     []byte
	etag     string // quoted, as on the wire
	version  string
	modified time.Time
	ctype    string
}

// NewS3 returns a fake S3. Requests are verified against iam's credentials;
// a nil iam accepts any signature. opts may be nil.
func NewS3(iam *IAM, opts *S3Options) *S3 {
	var o S3Options
	if opts != nil {
		o = *opts
	}
	if o.Latency == 0 {
		o.Latency = DefaultLatency
	}
	return &S3{iam: iam, latency: o.Latency, objects: map[string]*fakeObject{}, buckets: map[string]bool{}}
}

// PutObject stores body under bucket/key (creating the bucket) and returns
// its ETag, quoted as S3 sends it: the hex MD5 of the body, so identical
// uploads keep their ETag, as single-part uploads do on S3.
func (s *S3) PutObject(bucket, key string, body []byte) string {
	sum := md5.Sum(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket] = true
	n := len(s.objects) + 1
	if old := s.objects[bucket+"/"+key]; old != nil {
		n, _ = strconv.Atoi(strings.TrimPrefix(old.version, "v"))
		n++
	}
	o := &fakeObject{
		body: append([]byte(nil), body...), etag: `"` + hex.EncodeToString(sum[:]) + `"`,
		version: "v" + strconv.Itoa(n), modified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(n) * time.Minute),
		ctype: "application/yaml",
	}
	s.objects[bucket+"/"+key] = o
	return o.etag
}

// DeleteObject removes bucket/key.
func (s *S3) DeleteObject(bucket, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, bucket+"/"+key)
}

// Count returns how many calls of operation were answered with status
// (either may be zero-valued for all).
func (s *S3) Count(operation string, status int) int {
	return s.count(func(c *S3Call) bool {
		return (operation == "" || c.Operation == operation) && (status == 0 || c.Status == status)
	})
}

// ServeHTTP answers one REST request.
func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !wait(r, s.latency) {
		return
	}
	call := S3Call{IfNoneMatch: r.Header.Get("If-None-Match"), IfMatch: r.Header.Get("If-Match")}
	switch r.Method {
	case http.MethodGet:
		call.Operation = "GetObject"
	case http.MethodHead:
		call.Operation = "HeadObject"
	}
	call.Status, call.ErrorCode = s.serve(w, r, &call)
	s.record(call)
}

func (s *S3) serve(w http.ResponseWriter, r *http.Request, call *S3Call) (int, string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return writeS3Error(w, r, http.StatusBadRequest, "IncompleteBody", "cannot read body", "")
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	call.Bucket, call.Key, _ = strings.Cut(path, "/")
	if s.iam != nil {
		if got := r.Header.Get("X-Amz-Content-Sha256"); got == "" {
			return writeS3Error(w, r, http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256", "")
		}
		sig, aerr := s.iam.verify(r, body)
		call.AccessKeyID, call.Principal, call.Region = sig.AccessKeyID, sig.Principal, sig.Region
		if aerr != nil {
			return writeS3Error(w, r, aerr.status, s3AuthCode(aerr.code), aerr.message, "")
		}
	}
	if call.Operation == "" {
		w.Header().Set("Allow", "GET, HEAD")
		return writeS3Error(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.", "")
	}
	if call.Bucket == "" || call.Key == "" {
		return writeS3Error(w, r, http.StatusBadRequest, "InvalidRequest", "the fake serves path-style object requests only: /BUCKET/KEY", "")
	}
	s.mu.Lock()
	known := s.buckets[call.Bucket]
	o := s.objects[call.Bucket+"/"+call.Key]
	s.mu.Unlock()
	if !known {
		return writeS3Error(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", "<BucketName>"+xmlEscape(call.Bucket)+"</BucketName>")
	}
	if o == nil {
		return writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "<Key>"+xmlEscape(call.Key)+"</Key>")
	}
	h := w.Header()
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("X-Amz-Version-Id", o.version)
	h.Set("X-Amz-Request-Id", "req-"+strings.ToLower(call.Operation))
	if call.IfMatch != "" && !etagMatches(call.IfMatch, o.etag) {
		return writeS3Error(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "<Condition>If-Match</Condition>")
	}
	if call.IfNoneMatch != "" && etagMatches(call.IfNoneMatch, o.etag) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified, ""
	}
	h.Set("Content-Type", o.ctype)
	h.Set("Content-Length", strconv.Itoa(len(o.body)))
	h.Set("Accept-Ranges", "bytes")
	if strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		var crc [4]byte
		binary.BigEndian.PutUint32(crc[:], crc32.ChecksumIEEE(o.body))
		h.Set("X-Amz-Checksum-Crc32", base64.StdEncoding.EncodeToString(crc[:]))
		h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
	w.WriteHeader(http.StatusOK)
	if call.Operation == "GetObject" {
		_, _ = w.Write(o.body)
	}
	return http.StatusOK, ""
}

// etagMatches reports whether an If-Match / If-None-Match list names etag.
func etagMatches(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimPrefix(strings.TrimSpace(e), "W/")
		if e == "*" || e == etag {
			return true
		}
	}
	return false
}

// s3AuthCode maps the shared IAM's failure codes to S3's.
func s3AuthCode(code string) string {
	switch code {
	case "UnrecognizedClientException":
		return "InvalidAccessKeyId"
	case "InvalidSignatureException":
		return "SignatureDoesNotMatch"
	case "ExpiredTokenException":
		return "ExpiredToken"
	case "IncompleteSignature":
		return "AuthorizationHeaderMalformed"
	}
	return "AccessDenied"
}

// writeS3Error writes S3's XML error document (no body for HEAD, as S3).
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, message, extra string) (int, string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", "req-error")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, xml.Header+"<Error><Code>"+code+"</Code><Message>"+xmlEscape(message)+"</Message>"+extra+
			"<RequestId>req-error</RequestId><HostId>"+url.QueryEscape("fake-host-id")+"</HostId></Error>")
	}
	return status, code
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
