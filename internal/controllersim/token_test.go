// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestToken: main.py _make_token's format, <unix_ts>.<first 32 hex chars of
// HMAC-SHA256(secret, unix_ts)>, computed here independently of Token.
func TestToken(t *testing.T) {
	h := hmac.New(sha256.New, []byte("k"))
	h.Write([]byte("1700000000"))
	assert.Equal(t, "1700000000."+hex.EncodeToString(h.Sum(nil))[:32], Token("k", time.Unix(1700000000, 0)))
}

// TestAuth: main.py require_auth answers 401 {"detail":"Not authenticated"}
// whatever is wrong with the mnm_token cookie, and _verify_token accepts a
// token while now - ts <= TOKEN_TTL (86400 s), with no lower bound: a
// timestamp in the future is accepted.
func TestAuth(t *testing.T) {
	_, srv := newTestServer(t, Config{Secret: testSecret})
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{name: "valid", token: Token(testSecret, testNow), ok: true},
		{name: "one hour old", token: Token(testSecret, testNow.Add(-time.Hour)), ok: true},
		{name: "exactly the TTL old", token: Token(testSecret, testNow.Add(-DefaultTokenTTL)), ok: true},
		{name: "one second past the TTL", token: Token(testSecret, testNow.Add(-DefaultTokenTTL-time.Second)), ok: false},
		{name: "expired", token: Token(testSecret, testNow.Add(-25*time.Hour)), ok: false},
		{name: "one hour in the future", token: Token(testSecret, testNow.Add(time.Hour)), ok: true},
		{name: "two days in the future", token: Token(testSecret, testNow.Add(48*time.Hour)), ok: true},
		{name: "missing", token: "", ok: false},
		{name: "wrong secret", token: Token("other", testNow), ok: false},
		{name: "no dot", token: "garbage", ok: false},
		{name: "timestamp not a number", token: "abc." + signature(testSecret, "abc"), ok: false},
		{name: "signature of another timestamp", token: "1700000000." + signature(testSecret, "1700000001"), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, srv, tt.token, validBody())
			if tt.ok {
				require.Equal(t, http.StatusOK, status, string(body))
				return
			}
			require.Equal(t, http.StatusUnauthorized, status, string(body))
			assert.Equal(t, `{"detail":"Not authenticated"}`, string(body))
		})
	}
}

// TestAuthBeforeValidation: the route's require_auth dependency refuses a
// request without a valid cookie before its body is looked at.
func TestAuthBeforeValidation(t *testing.T) {
	c, srv := newTestServer(t, Config{Secret: testSecret})
	status, _, body := post(t, srv, "", `{"not":"an upsert"}`)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, `{"detail":"Not authenticated"}`, string(body))
	assert.Equal(t, int64(1), c.Stats().Unauthorized)
}
