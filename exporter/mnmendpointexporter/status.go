// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// maxMessageBytes bounds the controller message quoted in an error.
const maxMessageBytes = 256

// maxRetryAfter caps the delay a Retry-After header can impose: a wrong or
// hostile header must not park the queue for hours.
const maxRetryAfter = 5 * time.Minute

// errCredentialsRejected marks a 401/403: no further batch can succeed.
var errCredentialsRejected = errors.New("controller rejected the credentials: check that `secret` matches the controller's NAUTOBOT_SECRET_KEY (or the configured `auth` / `headers`)")

// failureKind says what the exporter does with a failed upsert.
type failureKind int

const (
	// failRetry: the controller may accept the same request later
	// (connection errors, 408, 429, 502, 503, 504, a redirect, a 2xx that is
	// not the controller's answer). The export stops and what is not yet
	// delivered goes back to the retry.
	failRetry failureKind = iota
	// failCredentials: 401/403. Permanent; the export stops.
	failCredentials
	// failNoRoute: 404/405, the controller has no upsert route (see
	// noRouteFix). Permanent, and handled like failRequest.
	failNoRoute
	// failRequest: a permanent refusal of the request itself rather than of
	// its endpoints (404, 405, 414, 415, 431, ...): every endpoint of the
	// batch is rejected and no split is tried, since a half would be refused
	// alike.
	failRequest
	// failRecords: a permanent refusal that may come from one endpoint of
	// the batch (413 and the other 4xx): the batch is split to isolate it.
	failRecords
	// failServer: 500 and the other 5xx except 502/503/504. Either one
	// endpoint breaks the controller or the controller is broken: the batch
	// is split, and what the other requests of the export do decides.
	failServer
)

// answerError is a non-2xx answer, or a 2xx that is not the controller's
// answer. Its text is that of err, which may be a permanent or a throttle
// error that exporterhelper recognises through Unwrap.
type answerError struct {
	kind   failureKind
	status int
	// cause is the delivery_failing cause this answer stands for.
	cause string
	err   error
}

func (e *answerError) Error() string { return e.err.Error() }
func (e *answerError) Unwrap() error { return e.err }

// kindOf classifies an error of upsertClient.upsert; an error without an
// answer (connection refused, timeout, cancelled context) is retryable.
func kindOf(err error) (failureKind, int) {
	if ae, ok := errors.AsType[*answerError](err); ok {
		return ae.kind, ae.status
	}
	return failRetry, 0
}

// causeOf names the delivery_failing cause of an error of
// upsertClient.upsert; an error without an answer is causeUnreachable.
func causeOf(err error) string {
	if ae, ok := errors.AsType[*answerError](err); ok && ae.cause != "" {
		return ae.cause
	}
	return causeUnreachable
}

// classifyStatus turns a non-2xx response to the upsert of n endpoints of
// source into an error, following the otlphttp exporter's rules (429, 502,
// 503, 504 retryable, other 4xx permanent) with three refinements: 408 is
// retryable too (the controller gave up waiting for the request, nothing is
// wrong with it), a redirect is retryable (see redirectError), and 500 is
// left to the exporter's split (failServer). The error text names the
// status, n, source and the controller's message.
func classifyStatus(resp *http.Response, body []byte, n int, source string) error {
	code := resp.StatusCode
	msg := controllerMessage(body)
	base := fmt.Errorf("controller answered HTTP %d to the upsert of %d endpoints of source %q: %s", code, n, source, msg)
	wrap := func(kind failureKind, cause string, err error) error {
		return &answerError{kind: kind, status: code, cause: cause, err: err}
	}

	switch {
	case code >= 300 && code <= 399:
		return wrap(failRetry, causeRedirect, redirectError(resp, n, source))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return wrap(failCredentials, causeCredentials, consumererror.NewPermanent(fmt.Errorf("upsert of %d endpoints of source %q: %w (HTTP %d: %s)", n, source, errCredentialsRejected, code, msg)))
	case code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		if delay, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return wrap(failRetry, causeUnavailable, exporterhelper.NewThrottleRetry(base, delay))
		}
		return wrap(failRetry, causeUnavailable, base)
	case code == http.StatusRequestTimeout:
		return wrap(failRetry, causeUnavailable, base)
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		return wrap(failNoRoute, causeNoUpsertRoute, consumererror.NewPermanent(fmt.Errorf("%w; %s", base, noRouteFix)))
	case code >= 400 && code <= 499 && isRequestLevelStatus(code):
		return wrap(failRequest, causeRefused, consumererror.NewPermanent(base))
	case code >= 400 && code <= 499:
		return wrap(failRecords, causeRefused, consumererror.NewPermanent(base))
	case code >= 500 && code <= 599:
		// Retryable as long as the exporter has not shown that the
		// controller accepts the other endpoints of the export.
		return wrap(failServer, causeServerError, base)
	default:
		// 1xx or a code outside the standard ranges: not an answer the
		// contract knows; the data stays in the queue.
		return wrap(failRetry, causeUnavailable, base)
	}
}

// isRequestLevelStatus reports the 4xx that concern the request line or
// headers — identical for every request the exporter sends — rather than
// the endpoints in the body: splitting the batch cannot help.
func isRequestLevelStatus(code int) bool {
	switch code {
	case http.StatusNotAcceptable,
		http.StatusProxyAuthRequired, http.StatusGone, http.StatusLengthRequired,
		http.StatusPreconditionFailed, http.StatusRequestURITooLong, http.StatusUnsupportedMediaType,
		http.StatusExpectationFailed, http.StatusMisdirectedRequest, http.StatusUpgradeRequired,
		http.StatusPreconditionRequired, http.StatusRequestHeaderFieldsTooLarge:
		return true
	default:
		return false
	}
}

// redirectError describes a 3xx answer. Redirects are never followed: a
// redirected POST may become a GET (so a login page's 200 would look like a
// delivery), may go from https to http (body and mnm_token cookie in clear
// text) or to another host (with the configured Authorization header).
//
// It is retryable, not permanent: the controller has not seen the data, and
// the redirect comes from something in front of it that an operator must
// fix (the `endpoint`, a proxy rule, an expired SSO exemption). Until then
// the queue keeps the endpoints — nothing is lost — and the retry log line,
// repeated at each back-off, says what to fix. The data is dropped only if
// retry_on_failure.max_elapsed_time runs out, as for any outage.
func redirectError(resp *http.Response, n int, source string) error {
	where := "no Location header"
	if loc := resp.Header.Get("Location"); loc != "" {
		where = "Location " + strconv.Quote(safeLocation(resp.Request, loc))
	}
	return fmt.Errorf("controller answered HTTP %d (a redirect, %s) to the upsert of %d endpoints of source %q; redirects are not followed: %s",
		resp.StatusCode, where, n, source, proxyHint)
}

// safeLocation resolves a Location against the request and keeps only
// scheme, host and path: a login page's query string often carries state
// tokens, and userinfo would be a credential.
func safeLocation(req *http.Request, loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return truncate(loc)
	}
	if req != nil && req.URL != nil {
		u = req.URL.ResolveReference(u)
	}
	clean := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	s := clean.String()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	return truncate(s)
}

// retryAfter parses a Retry-After header given in seconds or as an HTTP
// date, capped at maxRetryAfter.
func retryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(value); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
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
