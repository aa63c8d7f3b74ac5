// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

const (
	// maxResponseBytes bounds how much of a response is read, and then how
	// much more is drained so the connection can be reused.
	maxResponseBytes = 64 * 1024
	// maxMessageBytes bounds the controller message quoted in an error.
	maxMessageBytes = 256
)

// errCredentialsRejected marks a 401/403: no further batch can succeed.
var errCredentialsRejected = errors.New("controller rejected the credentials: check that `secret` matches the controller's NAUTOBOT_SECRET_KEY (or the configured `auth` / `headers`)")

// upsert sends one batch. It returns nil, a permanent error, a throttle
// error or a plain (retryable) error.
func (e *endpointExporter) upsert(ctx context.Context, b *batch) error {
	body, err := json.Marshal(b.request())
	if err != nil {
		return consumererror.NewPermanent(fmt.Errorf("encoding %d endpoints of source %q: %w", len(b.entries), b.source, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.upsertURL, bytes.NewReader(body))
	if err != nil {
		return consumererror.NewPermanent(fmt.Errorf("building the request to %s: %w", e.logURL, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", e.userAgent)
	if e.cfg.Secret != "" {
		req.AddCookie(tokenCookie(e.cfg.Secret, e.now()))
	}

	e.logger.Debug("sending endpoints to the controller",
		zap.String("url", e.logURL), zap.String("source", b.source), zap.Int("endpoints", len(b.entries)))
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("sending %d endpoints of source %q to the controller: %w", len(b.entries), b.source, err)
	}
	defer func() {
		// Drain a bounded remainder so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, maxResponseBytes)
		_ = resp.Body.Close()
	}()
	respBody, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))

	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		e.recordResults(context.WithoutCancel(ctx), b, respBody, readErr)
		return nil
	}
	return classifyStatus(resp, respBody, len(b.entries), b.source)
}

// classifyStatus turns a non-2xx response into an error following the
// otlphttp exporter's rules.
func classifyStatus(resp *http.Response, body []byte, n int, source string) error {
	msg := controllerMessage(body)
	base := fmt.Errorf("controller answered HTTP %d to the upsert of %d endpoints of source %q: %s", resp.StatusCode, n, source, msg)

	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return consumererror.NewPermanent(fmt.Errorf("%w (HTTP %d: %s)", errCredentialsRejected, code, msg))
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

// recordResults counts the upserted endpoints by the action the controller
// reported. An unreadable answer is counted as action "unknown": the data was
// accepted (2xx), only the detail is missing.
func (e *endpointExporter) recordResults(ctx context.Context, b *batch, body []byte, readErr error) {
	var resp upsertResponse
	err := readErr
	if err == nil {
		err = json.Unmarshal(body, &resp)
	}
	if err != nil {
		e.logger.Debug("controller accepted the endpoints but its answer could not be read",
			zap.String("source", b.source), zap.Error(err))
	}
	counts := map[string]int64{}
	for _, r := range resp.Results {
		action := r.Action
		if action == "" {
			action = "unknown"
		}
		counts[action]++
	}
	if missing := int64(len(b.entries) - len(resp.Results)); missing > 0 {
		counts["unknown"] += missing
	}
	for action, n := range counts {
		e.telemetry.ExporterMnmendpointEndpointsUpserted.Add(ctx, n,
			metric.WithAttributes(attribute.String("action", action), attribute.String("source", b.source)))
	}
}
