// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/endpointrecord"
)

const testSecret = "test-nautobot-secret-key"

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// upsertSchema compiles testdata/schema/endpoint-upsert.schema.json, with
// format assertions (ipv4, ipv6, date-time) enabled.
func upsertSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	schemaOnce.Do(func() {
		path, err := filepath.Abs(filepath.Join("..", "..", "testdata", "schema", "endpoint-upsert.schema.json"))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		schema, schemaErr = c.Compile(path)
	})
	require.NoError(tb, schemaErr)
	return schema
}

func validateBody(tb testing.TB, body []byte) error {
	tb.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return upsertSchema(tb).Validate(inst)
}

// schemaChecked fails the test for any upsert body that violates the schema,
// then hands the request on.
func schemaChecked(t *testing.T, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == controllersim.UpsertPath {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("reading the upsert body: %v", err)
			} else if err := validateBody(t, body); err != nil {
				t.Errorf("upsert body violates the schema: %v\n%s", err, body)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// newController starts the controller stand-in behind the schema check.
func newController(t *testing.T, cfg controllersim.Config) (*controllersim.Controller, *httptest.Server) {
	t.Helper()
	if cfg.Secret == "" {
		cfg.Secret = testSecret
	}
	c := controllersim.New(cfg)
	srv := httptest.NewServer(schemaChecked(t, c))
	t.Cleanup(srv.Close)
	return c, srv
}

// testConfig returns a config for srv with the queue and retry off, so that
// pushLogs errors reach the test unchanged.
func testConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.Secret = testSecret
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig = configretry.BackOffConfig{Enabled: false}
	return cfg
}

// startExporter builds and starts the exporter without exporterhelper.
func startExporter(t *testing.T, cfg *Config, set exporter.Settings) *endpointExporter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	exp, err := newEndpointExporter(cfg, set)
	require.NoError(t, err)
	require.NoError(t, exp.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, exp.shutdown(context.Background())) })
	return exp
}

func nopSettings() exporter.Settings {
	return exportertest.NewNopSettings(metadata.Type)
}

// rec describes one endpoint record of the contract.
type rec struct {
	mac, ip, hostname, class, device, port, source string
	additional                                     []string
	vlan                                           int64
	ts                                             time.Time
}

func (r rec) appendTo(lrs plog.LogRecordSlice) {
	lr := lrs.AppendEmpty()
	attrs := lr.Attributes()
	attrs.PutStr(endpointrecord.AttrMAC, r.mac)
	if r.ip != "" {
		attrs.PutStr(endpointrecord.AttrIP, r.ip)
	}
	if r.additional != nil {
		s := attrs.PutEmptySlice(endpointrecord.AttrAdditionalIPs)
		for _, ip := range r.additional {
			s.AppendEmpty().SetStr(ip)
		}
	}
	attrs.PutStr(endpointrecord.AttrHostname, r.hostname)
	attrs.PutStr(endpointrecord.AttrClassification, r.class)
	attrs.PutStr(endpointrecord.AttrDeviceName, r.device)
	attrs.PutStr(endpointrecord.AttrSwitchPort, r.port)
	attrs.PutInt(endpointrecord.AttrVLAN, r.vlan)
	source := r.source
	if source == "" {
		source = "proxmox"
	}
	attrs.PutStr(endpointrecord.AttrSource, source)
	attrs.PutStr("proxmox.vmid", "100")
	if !r.ts.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(r.ts))
	}
}

func logsOf(recs ...rec) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, r := range recs {
		r.appendTo(lrs)
	}
	return ld
}

// manyRecords returns n records with distinct MACs 02:00:00:xx:xx:xx.
func manyRecords(n int) []rec {
	out := make([]rec, n)
	for i := range out {
		out[i] = rec{
			mac: macN(i), hostname: "vm", class: "virtual_machine", device: "pve1", port: "vmbr0",
			ts: time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC),
		}
	}
	return out
}

func macN(i int) string {
	const hexDigits = "0123456789ABCDEF"
	b := []byte("02:00:00:00:00:00")
	for pos, shift := 15, 0; shift < 24; pos, shift = pos-3, shift+8 {
		octet := byte(i >> shift)
		b[pos], b[pos+1] = hexDigits[octet>>4], hexDigits[octet&0x0f]
	}
	return string(b)
}

// macsOf lists the MAC attribute of every record, in order.
func macsOf(ld plog.Logs) []string {
	var out []string
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				v, _ := lrs.At(k).Attributes().Get(endpointrecord.AttrMAC)
				out = append(out, v.Str())
			}
		}
	}
	return out
}

// refusingMAC answers status with {"detail": detail} to every upsert request
// holding mac, like a controller that cannot store that one endpoint, and
// passes the others to next. It counts the upsert requests it sees.
func refusingMAC(mac string, status int, detail string, next http.Handler) (http.Handler, *atomic.Int64) {
	var count atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == controllersim.UpsertPath {
			count.Add(1)
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"mac":"`+mac+`"`)) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"detail":"` + detail + `"}`))
				return
			}
		}
		next.ServeHTTP(w, r)
	}), &count
}

// clearTextWarning is the start-up warning for a plain http:// endpoint,
// which every test against an httptest server gets.
const clearTextWarning = "`endpoint` is plain http://"

// warnLines returns the warning lines other than clearTextWarning.
func warnLines(logs *observer.ObservedLogs) []observer.LoggedEntry {
	var out []observer.LoggedEntry
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if !strings.HasPrefix(e.Message, clearTextWarning) {
			out = append(out, e)
		}
	}
	return out
}
