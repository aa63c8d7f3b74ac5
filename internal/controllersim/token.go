// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// CookieName is the cookie carrying the token.
const CookieName = "mnm_token"

// DefaultTokenTTL is how long a token stays valid after its timestamp.
const DefaultTokenTTL = 24 * time.Hour

// Token mints <unix_ts>.<first 32 hex chars of HMAC-SHA256(secret, unix_ts)>,
// the value of the mnm_token cookie.
func Token(secret string, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	return ts + "." + signature(secret, ts)
}

func signature(secret, ts string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// NotAuthenticated is the detail of every 401 answer, whatever was wrong
// with the cookie (main.py require_auth).
const NotAuthenticated = "Not authenticated"

// verifyToken checks the signature and the age of a token as main.py
// _verify_token does: valid while now - ts <= ttl. A timestamp in the future
// is accepted, as _verify_token has no lower bound. The error says what was
// wrong, for logs only: the answer is NotAuthenticated.
func verifyToken(secret, token string, now time.Time, ttl time.Duration) error {
	ts, sig, ok := strings.Cut(token, ".")
	if !ok {
		return errors.New("malformed mnm_token: expected <unix_ts>.<signature>")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("malformed mnm_token: the timestamp is not a unix time")
	}
	if !hmac.Equal([]byte(sig), []byte(signature(secret, ts))) {
		return errors.New("invalid mnm_token signature")
	}
	// main.py _verify_token: time.time() - int(ts) > TOKEN_TTL fails; there
	// is no check of a timestamp ahead of now.
	if now.Sub(time.Unix(unix, 0)) > ttl {
		return errors.New("expired mnm_token")
	}
	return nil
}
