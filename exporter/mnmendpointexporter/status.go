// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// maxMessageBytes bounds the controller message quoted in an error.
const maxMessageBytes = 256

// errCredentialsRejected marks a 401/403: no further batch can succeed.
var errCredentialsRejected = errors.New("controller rejected the credentials: check that `secret` matches the controller's NAUTOBOT_SECRET_KEY (or the configured `auth` / `headers`)")

// classifyStatus turns a non-2xx response to the upsert of n endpoints of
// source into an error following the otlphttp exporter's rules. The error
// text names the status, n, source and the controller's message:
// exporterhelper logs it, the exporter does not.
func classifyStatus(resp *http.Response, body []byte, n int, source string) error {
	msg := controllerMessage(body)
	base := fmt.Errorf("controller answered HTTP %d to the upsert of %d endpoints of source %q: %s", resp.StatusCode, n, source, msg)

	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return consumererror.NewPermanent(fmt.Errorf("upsert of %d endpoints of source %q: %w (HTTP %d: %s)", n, source, errCredentialsRejected, code, msg))
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if delay, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return exporterhelper.NewThrottleRetry(base, delay)
		}
		return base
	case code == http.StatusRequestTimeout || code >= 500:
		return base
	case isPermanentStatus(code):
		return consumererror.NewPermanent(base)
	default:
		// Like the otlphttp exporter: anything unexpected may be transient.
		return base
	}
}

// isPermanentStatus reports the client errors a retry cannot fix.
func isPermanentStatus(code int) bool {
	switch code {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusRequestEntityTooLarge, http.StatusRequestURITooLong,
		http.StatusUnprocessableEntity, http.StatusRequestHeaderFieldsTooLarge:
		return true
	default:
		return false
	}
}

// retryAfter parses a Retry-After header given in seconds or as an HTTP date.
func retryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(value); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// controllerMessage extracts a readable message from an error body: a JSON
// `detail`, `error` or `message` field, else the start of the body.
func controllerMessage(body []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		for _, key := range []string{"detail", "error", "message"} {
			raw, ok := fields[key]
			if !ok {
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return truncate(s)
			}
			// e.g. a list of validation errors: quote it compactly.
			var buf bytes.Buffer
			if json.Compact(&buf, raw) == nil {
				return truncate(buf.String())
			}
		}
	}
	text := strings.TrimSpace(string(body))
	if text == "" {
		return "(empty body)"
	}
	return truncate(text)
}

func truncate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= maxMessageBytes {
		return s
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
