// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadatatest"
	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/endpointrecord"
)

var seenAt = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

func TestHappyPathThroughFactory(t *testing.T) {
	ctrl, srv := newController(t, controllersim.Config{})
	cfg := createDefaultConfig().(*Config) // queue and retry on, as shipped
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.Secret = testSecret

	exp, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	ld := logsOf(
		rec{mac: "bc:24:11:c3:c7:41", ip: "192.0.2.10", additional: []string{"2001:db8::10", "192.0.2.10"}, hostname: "web01",
			class: "virtual_machine", device: "pve1", port: "vmbr0", vlan: 110, ts: seenAt.Add(123 * time.Millisecond)},
		rec{mac: "BC-24-11-00-00-02", hostname: "ct02", class: "container", device: "pve2", port: "vmbr1", ts: seenAt},
	)
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, exp.Shutdown(context.Background())) // drains the queue

	reqs := ctrl.Requests()
	require.Len(t, reqs, 1)
	web01 := "192.0.2.10"
	assert.Equal(t, controllersim.UpsertRequest{
		Source:       "proxmox",
		ChangeSource: "proxmox",
		Endpoints: []controllersim.Endpoint{
			{
				MAC: "BC:24:11:C3:C7:41", IP: &web01, AdditionalIPs: []string{"2001:db8::10"}, Hostname: "web01",
				Classification: "virtual_machine", DeviceName: "pve1", SwitchPort: "vmbr0", VLAN: 110, FirstSeen: "2026-11-22T13:00:00Z", LastSeen: "2026-11-22T13:00:00Z",
			},
			{
				MAC: "BC:24:11:00:00:02", IP: nil, AdditionalIPs: []string{}, Hostname: "ct02",
				Classification: "container", DeviceName: "pve2", SwitchPort: "vmbr1", VLAN: 0, FirstSeen: "2026-11-22T13:00:00Z", LastSeen: "2026-11-22T13:00:00Z",
			},
		},
	}, reqs[0])
	assert.Len(t, ctrl.Endpoints(), 2)
}

// TestRequestWireFormat checks the raw JSON: null ip, [] additional_ips.
func TestRequestWireFormat(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/base/api/endpoints/upsert", r.URL.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		body = readAll(t, r)
		_, _ = w.Write([]byte(`{"results":[]}`))
	}))
	defer srv.Close()

	exp := startExporter(t, testConfig(srv.URL+"/base/"), nopSettings())
	require.NoError(t, exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41", hostname: "h", ts: seenAt})))
	assert.JSONEq(t, `{"source":"proxmox","change_source":"proxmox","endpoints":[{"mac":"BC:24:11:C3:C7:41","ip":null,"additional_ips":[],"hostname":"h","classification":"","device_name":"","switch_port":"","vlan":0,"first_seen":"2026-11-22T13:00:00Z","last_seen":"2026-11-22T13:00:00Z"}]}`, string(body))
	require.NoError(t, validateBody(t, body))
}

func TestCookie(t *testing.T) {
	var cookies []*http.Cookie
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookies = r.Cookies()
		_, _ = w.Write([]byte(`{"results":[]}`))
	}))
	defer srv.Close()

	exp := startExporter(t, testConfig(srv.URL), nopSettings())
	now := time.Unix(1795000000, 0)
	exp.now = func() time.Time { return now }
	require.NoError(t, exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"})))

	// Computed here, independently of auth.go.
	h := hmac.New(sha256.New, []byte(testSecret))
	h.Write([]byte("1795000000"))
	want := "1795000000." + hex.EncodeToString(h.Sum(nil))[:32]

	require.Len(t, cookies, 1)
	assert.Equal(t, "mnm_token", cookies[0].Name)
	assert.Equal(t, want, cookies[0].Value)
	assert.Regexp(t, `^\d+\.[0-9a-f]{32}$`, cookies[0].Value)

	// A token older than 24 h is refused by the controller: the exporter
	// must mint a fresh one per request.
	ctrl, ctrlSrv := newController(t, controllersim.Config{})
	fresh := startExporter(t, testConfig(ctrlSrv.URL), nopSettings())
	fresh.now = func() time.Time { return time.Now().Add(-25 * time.Hour) }
	err := fresh.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	fresh.now = time.Now
	require.NoError(t, fresh.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"})))
	assert.Equal(t, int64(1), ctrl.Stats().Unauthorized)
	assert.Equal(t, int64(1), ctrl.Stats().Accepted)
}

func TestNoCookieWithoutSecret(t *testing.T) {
	var gotCookie, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotCookie, gotAuth = r.Header.Get("Cookie"), r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`{"results":[]}`))
	}))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	cfg.Secret = ""
	cfg.ClientConfig.Headers.Set("Authorization", "Token 0123")
	exp := startExporter(t, cfg, nopSettings())
	require.NoError(t, exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"})))
	assert.Empty(t, gotCookie)
	assert.Equal(t, "Token 0123", gotAuth)
}

func TestErrorResponses(t *testing.T) {
	type outcome int
	const (
		delivered outcome = iota
		// dropped: the export succeeds, the one endpoint is dropped,
		// counted and logged by the exporter.
		dropped
		permanent
		retryable
	)
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		want       outcome
		throttle   string // expected "Throttle (<delay>)" prefix, if any
		wantErrMsg string
	}{
		{name: "200", status: 200, body: `{"results":[]}`, want: delivered},
		{name: "204 is not the controller's answer", status: 204, want: retryable, wantErrMsg: "not with its JSON answer"},
		{name: "200 html", status: 200, body: "<html>login</html>", want: retryable, wantErrMsg: proxyHint},
		{name: "400 detail", status: 400, body: `{"detail":"endpoints[0].mac is bad"}`, want: dropped, wantErrMsg: "HTTP 400 to the upsert of 1 endpoints of source \"proxmox\": endpoints[0].mac is bad"},
		{name: "401", status: 401, body: `{"detail":"expired mnm_token"}`, want: permanent, wantErrMsg: "controller rejected the credentials: check that `secret` matches the controller's NAUTOBOT_SECRET_KEY"},
		{name: "403", status: 403, body: `{"error":"forbidden"}`, want: permanent, wantErrMsg: "(HTTP 403: forbidden)"},
		{name: "404 text", status: 404, body: "no such route", want: permanent, wantErrMsg: "no such route"},
		{name: "413", status: 413, body: `{"message":"too large"}`, want: dropped, wantErrMsg: "too large"},
		{name: "409", status: 409, body: `{"detail":"conflict"}`, want: dropped, wantErrMsg: "HTTP 409"},
		{name: "422 list detail", status: 422, body: `{"detail":[{"loc":["body","endpoints",0],"msg":"bad"}]}`, want: dropped, wantErrMsg: `[{"loc":["body","endpoints",0],"msg":"bad"}]`},
		{name: "408", status: 408, want: retryable, wantErrMsg: "HTTP 408"},
		{name: "429 without Retry-After", status: 429, want: retryable, wantErrMsg: "HTTP 429"},
		{name: "429 Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "7"}, want: retryable, throttle: "Throttle (7s)"},
		{name: "503 Retry-After", status: 503, header: map[string]string{"Retry-After": "1"}, want: retryable, throttle: "Throttle (1s)"},
		{name: "503 bad Retry-After", status: 503, header: map[string]string{"Retry-After": "soon"}, want: retryable, wantErrMsg: "HTTP 503"},
		// Nothing of the export was accepted: the controller is broken, not
		// the endpoint.
		{name: "500", status: 500, body: "<html>oops</html>", want: retryable, wantErrMsg: "<html>oops</html>"},
		{name: "502", status: 502, want: retryable, wantErrMsg: "(empty body)"},
		{name: "504", status: 504, want: retryable, wantErrMsg: "HTTP 504"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()

			core, logs := observer.New(zapcore.DebugLevel)
			set := nopSettings()
			set.Logger = zap.New(core)
			exp := startExporter(t, testConfig(srv.URL), set)
			err := exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))
			refused := logs.FilterMessage("controller refused an endpoint; it is dropped and will not be retried").All()
			switch tt.want {
			case delivered:
				require.NoError(t, err)
				assert.Empty(t, refused)
				return
			case dropped:
				require.NoError(t, err, "the endpoint is dropped on its own; the export is done")
				require.Len(t, refused, 1)
				assert.Equal(t, "BC:24:11:C3:C7:41", refused[0].ContextMap()["mac"])
				assert.Contains(t, refused[0].ContextMap()["error"], tt.wantErrMsg)
				return
			}
			assert.Empty(t, refused)
			require.Error(t, err)
			assert.Equal(t, tt.want == permanent, consumererror.IsPermanent(err), "IsPermanent: %v", err)
			if tt.throttle != "" {
				assert.True(t, strings.HasPrefix(err.Error(), tt.throttle), err.Error())
			} else {
				assert.NotContains(t, err.Error(), "Throttle")
			}
			if tt.wantErrMsg != "" {
				assert.ErrorContains(t, err, tt.wantErrMsg)
			}
			if tt.want == retryable {
				var logsErr consumererror.Logs
				require.ErrorAs(t, err, &logsErr)
				assert.Equal(t, 1, logsErr.Data().LogRecordCount(), "the endpoint goes back to the retry")
			}
		})
	}
}

func TestTransportErrorIsRetryable(t *testing.T) {
	ctrl, srv := newController(t, controllersim.Config{})
	ctrl.SetFault(controllersim.Fault{Down: true})
	exp := startExporter(t, testConfig(srv.URL), nopSettings())
	err := exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, 1, logsErr.Data().LogRecordCount())
}

func TestBatchingAndMerging(t *testing.T) {
	t.Run("1234 records make 3 requests of at most 500", func(t *testing.T) {
		ctrl, srv := newController(t, controllersim.Config{})
		exp := startExporter(t, testConfig(srv.URL), nopSettings())
		require.NoError(t, exp.pushLogs(context.Background(), logsOf(manyRecords(1234)...)))
		reqs := ctrl.Requests()
		require.Len(t, reqs, 3)
		assert.Len(t, reqs[0].Endpoints, 500)
		assert.Len(t, reqs[1].Endpoints, 500)
		assert.Len(t, reqs[2].Endpoints, 234)
		assert.Len(t, ctrl.Endpoints(), 1234)
	})

	t.Run("same key merged last wins, other keys kept", func(t *testing.T) {
		ctrl, srv := newController(t, controllersim.Config{})
		exp := startExporter(t, testConfig(srv.URL), nopSettings())
		require.NoError(t, exp.pushLogs(context.Background(), logsOf(
			rec{mac: "BC:24:11:00:00:01", hostname: "old", device: "pve1", port: "vmbr0", vlan: 10, ts: seenAt},
			rec{mac: "BC:24:11:00:00:02", hostname: "other", device: "pve1", port: "vmbr0", vlan: 10, ts: seenAt},
			rec{mac: "bc:24:11:00:00:01", hostname: "new", ip: "192.0.2.1", device: "pve1", port: "vmbr0", vlan: 10, ts: seenAt},
			rec{mac: "BC:24:11:00:00:01", hostname: "vlan20", device: "pve1", port: "vmbr0", vlan: 20, ts: seenAt},
			rec{mac: "BC:24:11:00:00:01", hostname: "pve2", device: "pve2", port: "vmbr0", vlan: 10, ts: seenAt},
		)))
		reqs := ctrl.Requests()
		require.Len(t, reqs, 1)
		var got []string
		for _, ep := range reqs[0].Endpoints {
			got = append(got, fmt.Sprintf("%s/%s/%d=%s", ep.MAC, ep.DeviceName, ep.VLAN, ep.Hostname))
		}
		assert.Equal(t, []string{
			"BC:24:11:00:00:01/pve1/10=new",
			"BC:24:11:00:00:02/pve1/10=other",
			"BC:24:11:00:00:01/pve1/20=vlan20",
			"BC:24:11:00:00:01/pve2/10=pve2",
		}, got)
		require.NotNil(t, reqs[0].Endpoints[0].IP)
		assert.Equal(t, "192.0.2.1", *reqs[0].Endpoints[0].IP)
	})

	t.Run("one request per source", func(t *testing.T) {
		ctrl, srv := newController(t, controllersim.Config{})
		exp := startExporter(t, testConfig(srv.URL), nopSettings())
		require.NoError(t, exp.pushLogs(context.Background(), logsOf(
			rec{mac: "BC:24:11:00:00:01", source: "proxmox"},
			rec{mac: "BC:24:11:00:00:02", source: "mist"},
			rec{mac: "BC:24:11:00:00:03", source: "proxmox"},
		)))
		reqs := ctrl.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, "proxmox", reqs[0].Source)
		assert.Len(t, reqs[0].Endpoints, 2)
		assert.Equal(t, "mist", reqs[1].Source)
		assert.Equal(t, "mist", reqs[1].ChangeSource)
	})

	t.Run("source and change_source overrides", func(t *testing.T) {
		ctrl, srv := newController(t, controllersim.Config{})
		cfg := testConfig(srv.URL)
		cfg.Source = "lab"
		cfg.ChangeSource = "otelcol"
		exp := startExporter(t, cfg, nopSettings())
		require.NoError(t, exp.pushLogs(context.Background(), logsOf(
			rec{mac: "BC:24:11:00:00:01", source: "proxmox"},
			rec{mac: "BC:24:11:00:00:02", source: "mist"},
		)))
		reqs := ctrl.Requests()
		require.Len(t, reqs, 1)
		assert.Equal(t, "lab", reqs[0].Source)
		assert.Equal(t, "otelcol", reqs[0].ChangeSource)
		assert.Len(t, reqs[0].Endpoints, 2)
	})
}

func TestInvalidRecordsDroppedAndCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger = zap.New(core)

	ctrl, srv := newController(t, controllersim.Config{})
	exp := startExporter(t, testConfig(srv.URL), set)

	ld := logsOf(
		rec{mac: "not-a-mac"},
		rec{mac: ""},
		rec{mac: "01:00:5E:00:00:01"}, // multicast
		rec{mac: "BC:24:11:00:00:01", vlan: 5000},
		rec{mac: "BC:24:11:00:00:02"},
	)
	// A record without any source.
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	lr.Attributes().PutStr(endpointrecord.AttrMAC, "BC:24:11:00:00:03")

	require.NoError(t, exp.pushLogs(context.Background(), ld))
	reqs := ctrl.Requests()
	require.Len(t, reqs, 1)
	require.Len(t, reqs[0].Endpoints, 1)
	assert.Equal(t, "BC:24:11:00:00:02", reqs[0].Endpoints[0].MAC)

	metadatatest.AssertEqualExporterMnmendpointRecordsDropped(t, tel, []metricdata.DataPoint[int64]{
		{Value: 3, Attributes: attribute.NewSet(attribute.String("reason", dropInvalidMAC))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("reason", dropInvalidVLAN))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("reason", dropMissingSource))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterMnmendpointEndpointsUpserted(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("action", "new"), attribute.String("source", "proxmox"))},
	}, metricdatatest.IgnoreTimestamp())

	dropLogs := logs.FilterMessage("dropping endpoint record that cannot be sent").All()
	require.Len(t, dropLogs, 5)
	assert.Equal(t, zapcore.DebugLevel, dropLogs[0].Level)
	assert.Equal(t, "not-a-mac", dropLogs[0].ContextMap()["mac"])
	assert.Equal(t, dropInvalidMAC, dropLogs[0].ContextMap()["reason"])
}

func TestUpsertedCountedByAction(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	_, srv := newController(t, controllersim.Config{})
	exp := startExporter(t, testConfig(srv.URL), metadatatest.NewSettings(tel))
	first := logsOf(
		rec{mac: "BC:24:11:00:00:01", hostname: "a", ts: seenAt},
		rec{mac: "BC:24:11:00:00:02", hostname: "b", ts: seenAt},
	)
	second := logsOf(
		rec{mac: "BC:24:11:00:00:01", hostname: "a", ts: seenAt.Add(time.Minute)},       // unchanged
		rec{mac: "BC:24:11:00:00:02", hostname: "renamed", ts: seenAt.Add(time.Minute)}, // updated
		rec{mac: "BC:24:11:00:00:03", hostname: "c", ts: seenAt},                        // new
	)
	require.NoError(t, exp.pushLogs(context.Background(), first))
	require.NoError(t, exp.pushLogs(context.Background(), second))

	point := func(action string, v int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: v, Attributes: attribute.NewSet(attribute.String("action", action), attribute.String("source", "proxmox"))}
	}
	metadatatest.AssertEqualExporterMnmendpointEndpointsUpserted(t, tel, []metricdata.DataPoint[int64]{
		point("new", 3), point("updated", 1), point("unchanged", 1),
	}, metricdatatest.IgnoreTimestamp())
}

// failingNth answers status to the n-th upsert request (1-based) and passes
// the others to next.
func failingNth(n int64, status int, next http.Handler) (http.Handler, *atomic.Int64) {
	var count atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == controllersim.UpsertPath && count.Add(1) == n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"detail":"injected"}`))
			return
		}
		next.ServeHTTP(w, r)
	}), &count
}

func TestPartialFailure(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	handler, _ := failingNth(2, http.StatusServiceUnavailable, ctrl)
	srv := httptest.NewServer(schemaChecked(t, handler))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	cfg.MaxBatchSize = 2
	exp := startExporter(t, cfg, metadatatest.NewSettings(tel))

	recs := manyRecords(5)
	recs = append(recs, rec{mac: "bad"}) // dropped: never part of the retry
	err := exp.pushLogs(context.Background(), logsOf(recs...))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, []string{macN(2), macN(3), macN(4)}, macsOf(logsErr.Data()))
	// The rest keeps its attributes for the retry.
	v, ok := logsErr.Data().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get("proxmox.vmid")
	require.True(t, ok)
	assert.Equal(t, "100", v.Str())

	// Only the first batch arrived and nothing was counted as rejected.
	assert.Len(t, ctrl.Endpoints(), 2)
	_, getErr := tel.GetMetric("otelcol_exporter_mnmendpoint_endpoints_rejected")
	assert.Error(t, getErr, "no endpoint may be counted as rejected")
}

func TestPermanentBatchErrorDoesNotStopOtherBatches(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	// 404 (no upsert route) refuses the request itself: the batch is
	// rejected without a split.
	handler, count := failingNth(1, http.StatusNotFound, ctrl)
	srv := httptest.NewServer(schemaChecked(t, handler))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	cfg.MaxBatchSize = 2
	exp := startExporter(t, cfg, metadatatest.NewSettings(tel))

	err := exp.pushLogs(context.Background(), logsOf(manyRecords(5)...))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.ErrorContains(t, err, "injected")
	assert.Equal(t, int64(3), count.Load())
	assert.Len(t, ctrl.Endpoints(), 3)
	metadatatest.AssertEqualExporterMnmendpointEndpointsRejected(t, tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: rejectedAttrs("proxmox", rejectNoRoute, 404)},
	}, metricdatatest.IgnoreTimestamp())
}

func rejectedAttrs(source, reason string, status int) attribute.Set {
	return attribute.NewSet(attribute.String("source", source), attribute.String("reason", reason), attribute.Int(attrStatus, status))
}

// TestRejectedBatchNotLoggedAsError: pushLogs returns the permanent error of
// a rejected batch, whose text carries what an operator needs, and logs it at
// debug level only: exporterhelper logs the returned error.
func TestRejectedBatchNotLoggedAsError(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	set := nopSettings()
	set.Logger = zap.New(core)

	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	handler, _ := failingNth(1, http.StatusNotFound, ctrl)
	srv := httptest.NewServer(schemaChecked(t, handler))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.MaxBatchSize = 2
	exp := startExporter(t, cfg, set)

	err := exp.pushLogs(context.Background(), logsOf(manyRecords(3)...))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.ErrorContains(t, err, `controller answered HTTP 404 to the upsert of 2 endpoints of source "proxmox": injected`)
	assert.Len(t, ctrl.Endpoints(), 1, "the next batch is still sent")

	assert.Zero(t, logs.FilterLevelExact(zapcore.ErrorLevel).Len(), "error lines: %v", logs.FilterLevelExact(zapcore.ErrorLevel).All())
	assert.Empty(t, warnLines(logs), "warn lines")
	rejected := logs.FilterMessage("controller rejected a batch of endpoints; it will not be retried").All()
	require.Len(t, rejected, 1)
	assert.Equal(t, zapcore.DebugLevel, rejected[0].Level)
	assert.Equal(t, "proxmox", rejected[0].ContextMap()["source"])
	assert.Equal(t, int64(2), rejected[0].ContextMap()["endpoints"])
}

// TestRejectedBatchLoggedOnce goes through exporterhelper as shipped (queue
// and retry on): a rejected batch makes exactly one error line, exporterhelper's,
// naming the source, the number of endpoints, the status and the controller's
// message.
func TestRejectedBatchLoggedOnce(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T) *httptest.Server
		wantErr []string
		wantMAC string
	}{
		{
			name: "404",
			setup: func(t *testing.T) *httptest.Server {
				ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
				handler, _ := failingNth(1, http.StatusNotFound, ctrl)
				return httptest.NewServer(schemaChecked(t, handler))
			},
			wantErr: []string{`controller answered HTTP 404 to the upsert of 3 endpoints of source "proxmox": injected`},
		},
		{
			// One endpoint refused: the exporter logs it (with its MAC), the
			// export itself succeeds, so exporterhelper logs nothing.
			name: "422 for one endpoint",
			setup: func(t *testing.T) *httptest.Server {
				ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
				handler, _ := refusingMAC(macN(1), http.StatusUnprocessableEntity, "injected", ctrl)
				return httptest.NewServer(schemaChecked(t, handler))
			},
			wantErr: []string{`controller answered HTTP 422 to the upsert of 1 endpoints of source "proxmox": injected`},
			wantMAC: macN(1),
		},
		{
			name: "401",
			setup: func(t *testing.T) *httptest.Server {
				_, srv := newController(t, controllersim.Config{Secret: "the-controller-has-another-secret"})
				return srv
			},
			// MNM's require_auth answers {"detail":"Not authenticated"}, whatever the cause.
			wantErr: []string{`upsert of 3 endpoints of source "proxmox": controller rejected the credentials`, "(HTTP 401: Not authenticated)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.setup(t)
			defer srv.Close()
			core, logs := observer.New(zapcore.DebugLevel)
			set := nopSettings()
			set.Logger = zap.New(core)
			cfg := createDefaultConfig().(*Config)
			cfg.ClientConfig.Endpoint = srv.URL
			cfg.Secret = testSecret

			exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
			require.NoError(t, exp.ConsumeLogs(context.Background(), logsOf(manyRecords(3)...)))
			require.NoError(t, exp.Shutdown(context.Background())) // drains the queue

			errorLines := logs.FilterLevelExact(zapcore.ErrorLevel).All()
			require.Len(t, errorLines, 1, "error lines: %v", errorLines)
			text, ok := errorLines[0].ContextMap()["error"].(string)
			require.True(t, ok, "the line carries the error: %v", errorLines[0].ContextMap())
			for _, want := range tt.wantErr {
				assert.Contains(t, text, want)
			}
			if tt.wantMAC != "" {
				assert.Equal(t, tt.wantMAC, errorLines[0].ContextMap()["mac"])
			}
		})
	}
}

func TestCredentialsErrorStopsAllBatches(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	ctrl, srv := newController(t, controllersim.Config{Secret: "the-controller-has-another-secret"})
	cfg := testConfig(srv.URL)
	cfg.MaxBatchSize = 2
	exp := startExporter(t, cfg, metadatatest.NewSettings(tel))

	err := exp.pushLogs(context.Background(), logsOf(manyRecords(5)...))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.True(t, errors.Is(err, errCredentialsRejected))
	assert.ErrorContains(t, err, "(HTTP 401: Not authenticated)")
	assert.Equal(t, int64(1), ctrl.Stats().Requests, "no batch is tried after a 401")
	metadatatest.AssertEqualExporterMnmendpointEndpointsRejected(t, tel, []metricdata.DataPoint[int64]{
		{Value: 5, Attributes: rejectedAttrs("proxmox", rejectCredentials, 401)},
	}, metricdatatest.IgnoreTimestamp())
}

// TestRetryResendsOnlyUndelivered goes through exporterhelper's retry: every
// endpoint must reach the controller exactly once.
func TestRetryResendsOnlyUndelivered(t *testing.T) {
	ctrl := controllersim.New(controllersim.Config{Secret: testSecret})
	handler, count := failingNth(2, http.StatusBadGateway, ctrl)
	srv := httptest.NewServer(schemaChecked(t, handler))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	cfg.MaxBatchSize = 2
	cfg.RetryConfig = configretry.NewDefaultBackOffConfig()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	exp, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()

	require.NoError(t, exp.ConsumeLogs(context.Background(), logsOf(manyRecords(5)...)))
	assert.Equal(t, int64(4), count.Load(), "1 ok + 1 failed + 2 retried")
	received := map[string]int{}
	for _, req := range ctrl.Requests() {
		for _, ep := range req.Endpoints {
			received[ep.MAC]++
		}
	}
	assert.Equal(t, map[string]int{macN(0): 1, macN(1): 1, macN(2): 1, macN(3): 1, macN(4): 1}, received)
}

func TestSecretNeverLoggedNorInErrors(t *testing.T) {
	const secret = "super-secret-key-that-must-not-leak"
	core, logs := observer.New(zapcore.DebugLevel)
	set := nopSettings()
	set.Logger = zap.New(core)

	_, srv := newController(t, controllersim.Config{Secret: "another"})
	cfg := testConfig(srv.URL)
	cfg.Secret = secret
	exp := startExporter(t, cfg, set)

	now := time.Unix(1795000000, 0)
	token := mintToken(secret, now)
	exp.now = func() time.Time { return now }
	withSecret := func(endpoint string) *Config { c := testConfig(endpoint); c.Secret = secret; return c }

	var errs []error
	errs = append(errs, exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:00:00:01"}, rec{mac: "bad"})))
	down := startExporter(t, withSecret("http://127.0.0.1:1"), set)
	errs = append(errs, down.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:00:00:01"})))
	errs = append(errs, (&Config{Secret: secret}).Validate())
	errs = append(errs, withSecret("https://mnm:"+secret+"@nautobot.example.com").Validate())
	errs = append(errs, withSecret("https://nautobot.example.com/?secret="+secret).Validate())
	errs = append(errs, withSecret("ftp://mnm:"+secret+"@nautobot.example.com").Validate())

	// A redirect whose Location echoes the cookie, and a login page.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("mnm_token")
		w.Header().Set("Location", "/login?token="+c.Value+"&secret="+secret)
		w.WriteHeader(http.StatusFound)
	}))
	defer redirect.Close()
	redirected := startExporter(t, withSecret(redirect.URL), set)
	redirected.now = exp.now
	errs = append(errs, redirected.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:00:00:01"})))

	// An endpoint dropped on its own, whose refusal is logged by the exporter.
	ctrl := controllersim.New(controllersim.Config{Secret: secret})
	refusing, _ := refusingMAC(macN(1), http.StatusUnprocessableEntity, "refused", ctrl)
	refusingSrv := httptest.NewServer(refusing)
	defer refusingSrv.Close()
	dropping := startExporter(t, withSecret(refusingSrv.URL), set)
	require.NoError(t, dropping.pushLogs(context.Background(), logsOf(manyRecords(3)...)))
	require.NotEmpty(t, logs.FilterMessage("controller refused an endpoint; it is dropped and will not be retried").All())
	require.NotEmpty(t, logs.FilterMessageSnippet(clearTextWarning).All())

	require.NotEmpty(t, logs.All())
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		assert.NotContains(t, line, secret)
		assert.NotContains(t, line, token)
	}
	for _, err := range errs {
		require.Error(t, err)
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
			assert.NotContains(t, s, secret)
			assert.NotContains(t, s, token)
		}
	}
}

func TestShutdownWithoutStart(t *testing.T) {
	exp, err := newEndpointExporter(testConfig("http://127.0.0.1:1"), nopSettings())
	require.NoError(t, err)
	require.NoError(t, exp.shutdown(context.Background()))
}

// TestUnusableSuccessAnswerIsNotADelivery: a 2xx that is not the
// controller's JSON answer is retried, nothing is counted as upserted; a
// controller answer that lacks results counts those endpoints as unknown.
func TestUnusableSuccessAnswerIsNotADelivery(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	body := "OK"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	exp := startExporter(t, testConfig(srv.URL), metadatatest.NewSettings(tel))

	err := exp.pushLogs(context.Background(), logsOf(manyRecords(3)...))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, 3, logsErr.Data().LogRecordCount())
	_, getErr := tel.GetMetric("otelcol_exporter_mnmendpoint_endpoints_upserted")
	assert.Error(t, getErr, "nothing may be counted as upserted")

	body = `{"results":[{"mac":"` + macN(0) + `","action":"new"}]}`
	require.NoError(t, exp.pushLogs(context.Background(), logsOf(manyRecords(3)...)))
	metadatatest.AssertEqualExporterMnmendpointEndpointsUpserted(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("action", "new"), attribute.String("source", "proxmox"))},
		{Value: 2, Attributes: attribute.NewSet(attribute.String("action", "unknown"), attribute.String("source", "proxmox"))},
	}, metricdatatest.IgnoreTimestamp())
}

func readAll(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return b
}
