// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadatatest"
)

// scripted answers each upsert with the next of statuses (the last one
// repeats): 200 with one result per endpoint, 302 to a login page, or the
// status with a {"detail": ...} body.
type scripted struct {
	mu       sync.Mutex
	statuses []int
}

func (s *scripted) set(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = statuses
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	status := s.statuses[0]
	if len(s.statuses) > 1 {
		s.statuses = s.statuses[1:]
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status == http.StatusOK:
		_, _ = w.Write([]byte(`{"results":[{"mac":"02:00:00:00:00:00","action":"unchanged","events":[]}]}`))
	case status >= 300 && status < 400:
		w.Header().Set("Location", "https://sso.example.com/login?state=secret")
		w.WriteHeader(status)
	case status == http.StatusMethodNotAllowed:
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"detail":"Method Not Allowed"}`))
	default:
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"detail":"Not authenticated"}`))
	}
}

func failingAttrs(cause string) attribute.Set {
	return attribute.NewSet(attribute.String("cause", cause))
}

// A cause that retrying cannot heal is logged once, with its fix, when it
// appears; again only when it changes; and once when deliveries succeed
// again. The gauges follow every export.
func TestDeliveryConditionLogsLastingCausesOnce(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, logs := observer.New(zapcore.InfoLevel)
	set := metadatatest.NewSettings(tel)
	set.Logger = zap.New(core)

	ctrl := &scripted{}
	srv := httptest.NewServer(ctrl)
	defer srv.Close()
	exp := startExporter(t, testConfig(srv.URL), set)
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	exp.now = func() time.Time { return clock }
	push := func() error { return exp.pushLogs(context.Background(), logsOf(manyRecords(1)...)) }

	metadatatest.AssertEqualExporterMnmendpointLastSuccess(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())

	// Stock MNM: no upsert route. Three exports, one warning.
	ctrl.set(http.StatusMethodNotAllowed)
	for range 3 {
		err := push()
		require.Error(t, err)
		assert.True(t, consumererror.IsPermanent(err))
		assert.ErrorContains(t, err, "integrations/mnm-controller", "the error says where the route comes from")
	}
	warns := warnLines(logs)
	require.Len(t, warns, 1)
	assert.Equal(t, causeNoUpsertRoute, warns[0].ContextMap()["cause"])
	assert.Contains(t, warns[0].ContextMap()["fix"], "integrations/mnm-controller")
	metadatatest.AssertEqualExporterMnmendpointDeliveryFailing(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: failingAttrs(causeNoUpsertRoute)}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterMnmendpointEndpointsRejected(t, tel, []metricdata.DataPoint[int64]{
		{Value: 3, Attributes: rejectedAttrs("proxmox", rejectNoRoute, http.StatusMethodNotAllowed)},
	}, metricdatatest.IgnoreTimestamp())

	// The route is added but the secret is wrong: a new cause, one more warning.
	ctrl.set(http.StatusUnauthorized)
	require.Error(t, push())
	require.Error(t, push())
	warns = warnLines(logs)
	require.Len(t, warns, 2)
	assert.Equal(t, causeCredentials, warns[1].ContextMap()["cause"])

	// A passing outage in between says nothing new of the lasting cause.
	ctrl.set(http.StatusServiceUnavailable)
	require.Error(t, push())
	ctrl.set(http.StatusUnauthorized)
	require.Error(t, push())
	assert.Len(t, warnLines(logs), 2)

	// Fixed: one line at info, the gauges cleared and the success dated.
	ctrl.set(http.StatusOK)
	clock = clock.Add(time.Minute)
	require.NoError(t, push())
	require.NoError(t, push())
	resolved := logs.FilterMessage("controller accepts the endpoints again").All()
	require.Len(t, resolved, 1)
	assert.Equal(t, causeCredentials, resolved[0].ContextMap()["was"])
	metadatatest.AssertEqualExporterMnmendpointLastSuccess(t, tel,
		[]metricdata.DataPoint[int64]{{Value: clock.Unix()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterMnmendpointDeliveryFailing(t, tel, []metricdata.DataPoint[int64]{
		{Value: 0, Attributes: failingAttrs(causeNoUpsertRoute)},
		{Value: 0, Attributes: failingAttrs(causeCredentials)},
		{Value: 0, Attributes: failingAttrs(causeUnavailable)},
	}, metricdatatest.IgnoreTimestamp())
}

// A redirect is retryable (the queue keeps the endpoints) but does not heal
// by itself: one warning with the fix, whatever the number of retries, and
// never the login page's query string.
func TestDeliveryConditionRedirectWarnsOnce(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	set := nopSettings()
	set.Logger = zap.New(core)
	ctrl := &scripted{}
	ctrl.set(http.StatusFound)
	srv := httptest.NewServer(ctrl)
	defer srv.Close()
	exp := startExporter(t, testConfig(srv.URL), set)
	for range 4 {
		err := exp.pushLogs(context.Background(), logsOf(manyRecords(2)...))
		require.Error(t, err)
		assert.False(t, consumererror.IsPermanent(err), "a redirect keeps the endpoints queued")
	}
	warns := warnLines(logs)
	require.Len(t, warns, 1)
	assert.Equal(t, causeRedirect, warns[0].ContextMap()["cause"])
	assert.Contains(t, warns[0].ContextMap()["fix"], "point `endpoint` at the controller itself")
	assert.NotContains(t, warns[0].ContextMap()["error"], "state=secret")
}

// Transient causes (no answer, 5xx) are the Collector's retry lines, not
// the exporter's warnings, but the gauge names them.
func TestDeliveryConditionTransientCauses(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, logs := observer.New(zapcore.InfoLevel)
	set := metadatatest.NewSettings(tel)
	set.Logger = zap.New(core)

	srv := httptest.NewServer(http.NotFoundHandler())
	cfg := testConfig(srv.URL)
	srv.Close() // connection refused
	exp := startExporter(t, cfg, set)
	require.Error(t, exp.pushLogs(context.Background(), logsOf(manyRecords(1)...)))
	assert.Empty(t, warnLines(logs))
	metadatatest.AssertEqualExporterMnmendpointDeliveryFailing(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: failingAttrs(causeUnreachable)}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterMnmendpointLastSuccess(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
}
