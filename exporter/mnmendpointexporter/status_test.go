// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{value: "", ok: false},
		{value: "0", want: 0, ok: true},
		{value: "120", want: 2 * time.Minute, ok: true},
		{value: "-1", ok: false},
		{value: "soon", ok: false},
		{value: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second, ok: true},
		{value: now.Add(-time.Hour).Format(http.TimeFormat), want: 0, ok: true},
		{value: "300", want: 5 * time.Minute, ok: true},
		{value: "301", want: maxRetryAfter, ok: true},
		{value: "99999999999999999", want: maxRetryAfter, ok: true},
		{value: now.Add(48 * time.Hour).Format(http.TimeFormat), want: maxRetryAfter, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, ok := retryAfter(tt.value, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestControllerMessage(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name, body, want string
	}{
		{name: "detail", body: `{"detail":"bad mac"}`, want: "bad mac"},
		{name: "error", body: `{"error":"nope"}`, want: "nope"},
		{name: "message", body: `{"message":"too big"}`, want: "too big"},
		{name: "detail first", body: `{"message":"m","detail":"d"}`, want: "d"},
		{name: "structured detail", body: `{"detail": {"field": "mac"}}`, want: `{"field":"mac"}`},
		{name: "plain text", body: "  Bad Gateway\n", want: "Bad Gateway"},
		{name: "json without known keys", body: `{"x":1}`, want: `{"x":1}`},
		{name: "empty", body: "", want: "(empty body)"},
		{name: "long is cut on a rune boundary", body: long, want: long[:256] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, controllerMessage([]byte(tt.body)))
		})
	}
}
