// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
)

// tokenCookieName is the cookie the controller reads; a token is valid for
// 24 h after its timestamp.
const tokenCookieName = "mnm_token"

// mintToken returns <unix_ts>.<first 32 hex chars of HMAC-SHA256(secret, unix_ts)>.
func mintToken(secret configopaque.String, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	return ts + "." + hex.EncodeToString(mac.Sum(nil))[:32]
}

// tokenCookie is minted per request: it is cheap, and a token can then never
// expire in a long-lived exporter or while a request waits in the queue.
func tokenCookie(secret configopaque.String, now time.Time) *http.Cookie {
	return &http.Cookie{Name: tokenCookieName, Value: mintToken(secret, now)}
}
