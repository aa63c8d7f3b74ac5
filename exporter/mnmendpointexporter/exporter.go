// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadata"
)

// endpointExporter orchestrates an export: it maps and batches the records,
// hands each batch to the transport and records the outcome in its telemetry.
type endpointExporter struct {
	// delivery is what each export's run works with (deliver.go).
	delivery
	settings  component.TelemetrySettings
	condition *deliveryCondition

	// mu makes exports run one at a time: a run may change delivery.
	mu sync.Mutex
}

func newEndpointExporter(cfg *Config, set exporter.Settings) (*endpointExporter, error) {
	userAgent := fmt.Sprintf("%s/%s (%s/%s)", set.BuildInfo.Description, set.BuildInfo.Version, runtime.GOOS, runtime.GOARCH)
	transport, err := newUpsertClient(cfg.ClientConfig.Endpoint, cfg.Secret, userAgent)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("creating the exporter's telemetry: %w", err)
	}
	return &endpointExporter{
		delivery: delivery{
			cfg:       cfg,
			logger:    set.Logger,
			telemetry: tb,
			transport: transport,
			now:       time.Now,
		},
		settings:  set.TelemetrySettings,
		condition: &deliveryCondition{logger: set.Logger, telemetry: tb},
	}, nil
}

func (e *endpointExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.settings)
	if err != nil {
		return fmt.Errorf("building the HTTP client for %s: %w", e.transport.logURL, err)
	}
	// Never follow a redirect: a 302/303 turns the POST into a GET (a login
	// page's 200 would pass for a delivery), a 307/308 re-sends the body and
	// the mnm_token cookie, possibly over http:// or, with the configured
	// headers (Authorization), to another host. A 3xx is an error instead.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e.transport.client = client
	e.condition.started(ctx)
	if u, parseErr := url.Parse(e.cfg.ClientConfig.Endpoint); parseErr == nil && strings.EqualFold(u.Scheme, "http") {
		e.logger.Warn("`endpoint` is plain http://: the controller secret's mnm_token cookie (and any credentials in `headers` or from `auth`) travels in clear text, and anyone on the path can replay the token for 24 h; use https:// unless the controller is on this host",
			zap.String("endpoint", e.transport.logURL))
	}
	return nil
}

// shutdown is safe without start.
func (e *endpointExporter) shutdown(context.Context) error {
	e.transport.closeIdleConnections()
	e.telemetry.Shutdown()
	return nil
}

// pushLogs sends the records as one or more upsert requests (see exportRun
// for what happens when the controller refuses one).
//
// Refusals of whole batches are returned, not logged: exporterhelper logs the
// returned error once, and its text names the source, the number of
// endpoints, the HTTP status and the controller's message. An endpoint
// dropped on its own is logged by the exporter instead, once, with its MAC:
// returning it would make exporterhelper report the whole export as failed.
//
// Exports are sent one at a time, each completely before the next: with the
// single queue consumer that Validate enforces, the controller applies the
// snapshots in the order they were taken.
func (e *endpointExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	e.mu.Lock()
	defer e.mu.Unlock()

	batches, dropped := planBatches(ld, e.cfg, e.now())
	e.recordDropped(ctx, dropped)

	x := e.newExportRun(ctx)
	for _, b := range batches {
		if x.deliver(b, b.entries) {
			break
		}
	}
	err := x.finish(ld, batches)
	// After finish: it settles the suspects, which may stop the export.
	if ok, cause, failure := x.condition(); ok {
		if x.accepted {
			e.condition.succeeded(context.WithoutCancel(ctx), e.now())
		}
	} else {
		e.condition.failed(context.WithoutCancel(ctx), cause, failure)
	}
	return err
}

func (e *endpointExporter) recordDropped(ctx context.Context, dropped []droppedRecord) {
	counts := map[string]int64{}
	for _, d := range dropped {
		counts[d.reason]++
		e.logger.Debug("dropping endpoint record that cannot be sent",
			zap.String("reason", d.reason),
			zap.String("mac", d.mac),
			zap.Int("resource_index", d.ref.resource),
			zap.Int("scope_index", d.ref.scope),
			zap.Int("record_index", d.ref.record))
	}
	for reason, n := range counts {
		e.telemetry.ExporterMnmendpointRecordsDropped.Add(ctx, n, metric.WithAttributes(attribute.String("reason", reason)))
	}
}
