// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadatatest"
	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
)

// How the exporter isolates the endpoints the controller refuses, and tells
// a refused endpoint from a broken controller.

const refusedLine = "controller refused an endpoint; it is dropped and will not be retried"

// storedMACs lists the MACs in the controller's store.
func storedMACs(ctrl *controllersim.Controller) map[string]bool {
	out := map[string]bool{}
	for _, ep := range ctrl.Endpoints() {
		out[ep.MAC] = true
	}
	return out
}

// TestBadEndpointIsolated: the controller's store fails on one endpoint
// (upsert_endpoint raises on its MAC: the endpoints before it in the
// request stay stored, the answer is 500) and 200 otherwise: everything
// else is delivered, the one is dropped, counted and logged once with its
// MAC and the controller's message, and the export succeeds.
func TestBadEndpointIsolated(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger = zap.New(core)

	ctrl, srv := newController(t, controllersim.Config{FailMAC: macN(6)})
	exp := startExporter(t, testConfig(srv.URL), set)

	recs := manyRecords(9)
	recs[6].hostname = "the-failing-guest"
	require.NoError(t, exp.pushLogs(context.Background(), logsOf(recs...)))

	stored := storedMACs(ctrl)
	assert.Len(t, stored, 8)
	assert.False(t, stored[macN(6)])
	assert.Positive(t, ctrl.Stats().ServerErrors)

	metadatatest.AssertEqualExporterMnmendpointEndpointsRejected(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: rejectedAttrs("proxmox", rejectServerError, 500)},
	}, metricdatatest.IgnoreTimestamp())

	refused := logs.FilterMessage(refusedLine).All()
	require.Len(t, refused, 1)
	assert.Equal(t, zapcore.ErrorLevel, refused[0].Level)
	fields := refused[0].ContextMap()
	assert.Equal(t, macN(6), fields["mac"])
	assert.Equal(t, "the-failing-guest", fields["hostname"])
	assert.Equal(t, rejectServerError, fields["reason"])
	assert.Equal(t, int64(500), fields["status"])
	assert.Contains(t, fields["error"], "store failed on endpoints[0] (MAC "+macN(6)+"): OperationalError")
	assert.Len(t, logs.FilterLevelExact(zapcore.ErrorLevel).All(), 1, "logged once")
}

// TestRefusedEndpointsIsolated4xx: a 4xx that one endpoint causes drops that
// endpoint only, with the cost of a bisection, not the whole batch.
func TestRefusedEndpointsIsolated4xx(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	handler, count := refusingMAC(macN(13), http.StatusConflict, "this MAC belongs to a device", ctrl)
	srv := httptest.NewServer(schemaChecked(t, handler))
	defer srv.Close()
	exp := startExporter(t, testConfig(srv.URL), metadatatest.NewSettings(tel))

	require.NoError(t, exp.pushLogs(context.Background(), logsOf(manyRecords(32)...)))
	assert.Len(t, storedMACs(ctrl), 31)
	assert.False(t, storedMACs(ctrl)[macN(13)])
	// 1 + 2 per level of a 32-endpoint bisection.
	assert.Equal(t, int64(11), count.Load())
	metadatatest.AssertEqualExporterMnmendpointEndpointsRejected(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: rejectedAttrs("proxmox", rejectInvalid, 409)},
	}, metricdatatest.IgnoreTimestamp())
}

// Test413SplitsIntoSmallerRequests: a controller refusing requests of more
// than 3 endpoints still gets every endpoint, in smaller requests; nothing
// is dropped, and the advice to lower max_batch_size is logged once.
func Test413SplitsIntoSmallerRequests(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger = zap.New(core)

	ctrl, srv := newController(t, controllersim.Config{MaxEndpoints: 3})
	cfg := testConfig(srv.URL)
	cfg.MaxBatchSize = 10
	exp := startExporter(t, cfg, set)

	require.NoError(t, exp.pushLogs(context.Background(), logsOf(manyRecords(10)...)))
	require.NoError(t, exp.pushLogs(context.Background(), logsOf(manyRecords(20)[10:]...)))

	assert.Len(t, ctrl.Endpoints(), 20)
	for _, req := range ctrl.Requests() {
		assert.LessOrEqual(t, len(req.Endpoints), 3)
	}
	_, err := tel.GetMetric("otelcol_exporter_mnmendpoint_endpoints_rejected")
	assert.Error(t, err, "nothing may be counted as rejected")
	assert.Empty(t, logs.FilterLevelExact(zapcore.ErrorLevel).All())
	advice := logs.FilterMessageSnippet("Lower `max_batch_size`").All()
	require.Len(t, advice, 1, "logged once")
	assert.Equal(t, zapcore.InfoLevel, advice[0].Level)
}

// TestControllerAnswering500ToEverything: the controller is broken, not an
// endpoint: the export is retryable with every endpoint, nothing is dropped,
// and a large export costs a bounded number of requests.
func TestControllerAnswering500ToEverything(t *testing.T) {
	for _, n := range []int{1, 5, 300} {
		t.Run(fmt.Sprintf("%d endpoints", n), func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			set := metadatatest.NewSettings(tel)
			core, logs := observer.New(zapcore.DebugLevel)
			set.Logger = zap.New(core)

			ctrl, srv := newController(t, controllersim.Config{})
			ctrl.SetFault(controllersim.Fault{Status: 500})
			exp := startExporter(t, testConfig(srv.URL), set)

			err := exp.pushLogs(context.Background(), logsOf(manyRecords(n)...))
			require.Error(t, err)
			assert.False(t, consumererror.IsPermanent(err))
			assert.ErrorContains(t, err, "looks broken rather than refusing one endpoint")
			assert.ErrorContains(t, err, "simulated failure (HTTP 500)")
			var logsErr consumererror.Logs
			require.ErrorAs(t, err, &logsErr)
			assert.Equal(t, n, logsErr.Data().LogRecordCount(), "every endpoint goes back to the retry")

			_, getErr := tel.GetMetric("otelcol_exporter_mnmendpoint_endpoints_rejected")
			assert.Error(t, getErr, "nothing may be counted as rejected")
			assert.Empty(t, logs.FilterMessage(refusedLine).All())
			assert.LessOrEqual(t, ctrl.Stats().Faulted, int64(maxServerErrorRun(defaultMaxBatchSize)))
			if n == 300 {
				assert.Equal(t, int64(maxServerErrorRun(defaultMaxBatchSize)), ctrl.Stats().Faulted, "stopped at the limit, not after 2·n requests")
			}
		})
	}
}

// failingAfter passes the first n upsert requests to next and answers
// status to the others, like a controller whose database dies mid-export.
func failingAfter(n int64, status int, next http.Handler) http.Handler {
	var count atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == controllersim.UpsertPath && count.Add(1) > n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"detail":"database is gone"}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestControllerBreaksMidExport: after an accepted batch the controller
// answers 500 to everything. Its single endpoints are not taken for bad
// ones: the run of server errors stops the export and every endpoint not
// yet delivered is retried.
func TestControllerBreaksMidExport(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	srv := httptest.NewServer(schemaChecked(t, failingAfter(1, http.StatusInternalServerError, ctrl)))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.MaxBatchSize = 4
	exp := startExporter(t, cfg, metadatatest.NewSettings(tel))

	err := exp.pushLogs(context.Background(), logsOf(manyRecords(12)...))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	assert.ErrorContains(t, err, "answered 6 requests in a row with a server error")
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, []string{macN(4), macN(5), macN(6), macN(7), macN(8), macN(9), macN(10), macN(11)}, macsOf(logsErr.Data()))
	assert.Len(t, ctrl.Endpoints(), 4)
	_, getErr := tel.GetMetric("otelcol_exporter_mnmendpoint_endpoints_rejected")
	assert.Error(t, getErr, "nothing may be counted as rejected")
}

// nthAnswer answers status to the n-th upsert request (1-based) and passes
// the others to next.
func nthAnswer(n int64, status int, next http.Handler) http.Handler {
	h, _ := failingNth(n, status, next)
	return h
}

// TestSuspectRetriedAfterRetryableStop: an endpoint answered 500 on its own
// is not dropped while the export stops on a retryable answer (503): it goes
// back to the retry with the rest, and the retry drops it once the
// controller accepts the others. Nothing accepted is sent twice.
func TestSuspectRetriedAfterRetryableStop(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	ctrl := controllersim.New(controllersim.Config{Secret: testSecret, FailMAC: macN(0)})
	// Requests: [0 1 2 3] 500, [0 1] 500, [2 3] ok, [0] 500, [1] 503.
	srv := httptest.NewServer(schemaChecked(t, nthAnswer(5, http.StatusServiceUnavailable, ctrl)))
	defer srv.Close()
	exp := startExporter(t, testConfig(srv.URL), metadatatest.NewSettings(tel))

	recs := manyRecords(4)
	err := exp.pushLogs(context.Background(), logsOf(recs...))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	assert.ErrorContains(t, err, "HTTP 503")
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, []string{macN(0), macN(1)}, macsOf(logsErr.Data()))
	_, getErr := tel.GetMetric("otelcol_exporter_mnmendpoint_endpoints_rejected")
	assert.Error(t, getErr, "nothing dropped on a retryable stop")

	// The retry: [0 1] 500, [0] 500, [1] ok: 0 is dropped.
	require.NoError(t, exp.pushLogs(context.Background(), logsErr.Data()))
	received := map[string]int{}
	for _, req := range ctrl.Requests() {
		for _, ep := range req.Endpoints {
			received[ep.MAC]++
		}
	}
	assert.Equal(t, map[string]int{macN(1): 1, macN(2): 1, macN(3): 1}, received)
	metadatatest.AssertEqualExporterMnmendpointEndpointsRejected(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: rejectedAttrs("proxmox", rejectServerError, 500)},
	}, metricdatatest.IgnoreTimestamp())
}

// TestBadEndpointNeverHoldsBackTheQueue goes through exporterhelper as
// shipped (queue, one consumer, retry without limit): an endpoint the
// controller always answers 500 for neither blocks its own export nor the
// next one.
func TestBadEndpointNeverHoldsBackTheQueue(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	ctrl, srv := newController(t, controllersim.Config{FailMAC: macN(2)})
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.Secret = testSecret
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxElapsedTime = 0
	require.NoError(t, cfg.Validate())

	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	first := manyRecords(5)
	require.NoError(t, exp.ConsumeLogs(context.Background(), logsOf(first...)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), logsOf(manyRecords(10)[5:]...)))
	require.Eventually(t, func() bool { return len(ctrl.Endpoints()) == 9 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))

	assert.False(t, storedMACs(ctrl)[macN(2)])
	metadatatest.AssertEqualExporterMnmendpointEndpointsRejected(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: rejectedAttrs("proxmox", rejectServerError, 500)},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestMaxServerErrorRun: the limit sits just above the requests a broken
// controller takes to reach the first single endpoint.
func TestMaxServerErrorRun(t *testing.T) {
	for batch, want := range map[int]int{1: 2, 2: 4, 3: 6, 4: 6, 5: 8, 500: 20, 512: 20, 513: 22} {
		assert.Equal(t, want, maxServerErrorRun(batch), "max_batch_size %d", batch)
	}
}

// TestRetryDeliversEachEndpointOnce: through exporterhelper's retry, with a
// bisection under way when a 502 stops the export, every good endpoint
// reaches the controller exactly once.
func TestRetryDeliversEachEndpointOnce(t *testing.T) {
	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	bad, _ := refusingMAC(macN(5), http.StatusUnprocessableEntity, "bad", ctrl)
	// Requests: [0-7] 422, [0-3] ok, [4-7] 422, [4 5] 502 -> retry of 4-7.
	srv := httptest.NewServer(schemaChecked(t, nthAnswer(4, http.StatusBadGateway, bad)))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	cfg.RetryConfig = configretry.NewDefaultBackOffConfig()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	exp, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()

	require.NoError(t, exp.ConsumeLogs(context.Background(), logsOf(manyRecords(8)...)))
	received := map[string]int{}
	for _, req := range ctrl.Requests() {
		for _, ep := range req.Endpoints {
			received[ep.MAC]++
		}
	}
	want := map[string]int{}
	for i := range 8 {
		if i != 5 {
			want[macN(i)] = 1
		}
	}
	assert.Equal(t, want, received)
}
