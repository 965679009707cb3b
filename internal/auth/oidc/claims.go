package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxTokenLen bounds what is parsed at all. Okta tokens carrying a long
// groups claim run to a few kilobytes; anything near this is not a token.
const maxTokenLen = 64 << 10

// maxUnix is 9999-12-31T23:59:59Z. NumericDates beyond it (or negative) are
// refused rather than overflowing time.Time arithmetic.
const maxUnix = 253402300799

// IsJWT reports whether token has the shape of a compact JWS: three
// base64url segments joined by dots, the first two non-empty, the first
// starting with "eyJ" (`{"` encoded, how every JOSE header begins). It
// decodes nothing, so the authenticator can call it on every request to
// tell a JWT bearer from an sk- virtual key. An empty signature segment
// still counts, so an unsigned "alg: none" token reaches Verify and is
// refused there with a clear ErrAlgorithm instead of being looked up as a
// virtual key.
func IsJWT(token string) bool {
	if len(token) > maxTokenLen || !strings.HasPrefix(token, "eyJ") {
		return false
	}
	dots, seg := 0, 0
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c == '.' {
			if seg == 0 || dots == 2 {
				return false
			}
			dots++
			seg = 0
			continue
		}
		if !isBase64URL(c) {
			return false
		}
		seg++
	}
	return dots == 2
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// claims are the registered and profile claims the verifier checks (before
// go-oidc checks iss, exp and nbf again after the signature) or reports. json.Unmarshal rejects a wrong type for any of them, which is
// reported as ErrMalformed.
type claims struct {
	Iss               string       `json:"iss"`
	Sub               string       `json:"sub"`
	Aud               audience     `json:"aud"`
	Exp               *numericDate `json:"exp"`
	Nbf               *numericDate `json:"nbf"`
	Iat               *numericDate `json:"iat"`
	Email             string       `json:"email"`
	PreferredUsername string       `json:"preferred_username"`
}

// audience is aud: RFC 7519 allows one string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	case len(b) > 0 && b[0] == '[':
		var s []string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = s
		return nil
	case string(b) == "null":
		return nil
	}
	return errors.New("aud is neither a string nor an array of strings")
}

// numericDate is a JSON number of seconds since the epoch, possibly
// fractional (RFC 7519 §2).
type numericDate struct{ time.Time }

func (d *numericDate) UnmarshalJSON(b []byte) error {
	// The JSON decoder has checked b's syntax, so it is a number exactly
	// when it starts with a digit or a minus sign; ParseFloat then never
	// sees the hex or "Inf" spellings JSON does not have. A quoted date
	// ("123") is refused, as RFC 7519 requires a number.
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errors.New("date claim is not a number")
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > maxUnix {
		return errors.New("date claim is out of range")
	}
	sec, frac := math.Modf(f)
	d.Time = time.Unix(int64(sec), int64(frac*1e9))
	return nil
}
