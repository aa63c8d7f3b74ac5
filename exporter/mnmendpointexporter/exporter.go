// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadata"
)

// endpointExporter orchestrates an export: it maps and batches the records,
// hands each batch to the transport and records the outcome in its telemetry.
type endpointExporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	transport *upsertClient
	now       func() time.Time
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
		cfg:       cfg,
		settings:  set.TelemetrySettings,
		logger:    set.Logger,
		telemetry: tb,
		transport: transport,
		now:       time.Now,
	}, nil
}

func (e *endpointExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.settings)
	if err != nil {
		return fmt.Errorf("building the HTTP client for `endpoint` %q: %w", e.cfg.ClientConfig.Endpoint, err)
	}
	e.transport.client = client
	return nil
}

// shutdown is safe without start.
func (e *endpointExporter) shutdown(context.Context) error {
	e.transport.closeIdleConnections()
	e.telemetry.Shutdown()
	return nil
}

// pushLogs sends the records as one or more upsert requests. A content error
// (permanent, e.g. 422) rejects only its batch and the following batches are
// still tried; a credentials error stops everything; a retryable error stops
// and hands back only the records not yet delivered so that a retry does not
// resend what the controller already has.
//
// Failures are returned, not logged: exporterhelper logs the returned error
// once, and its text names the source, the number of endpoints, the HTTP
// status and the controller's message.
func (e *endpointExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	batches, dropped := planBatches(ld, e.cfg, e.now())
	e.recordDropped(ctx, dropped)

	var permanentErrs []error
	for i, b := range batches {
		e.logger.Debug("sending endpoints to the controller",
			zap.String("url", e.transport.logURL), zap.String("source", b.source), zap.Int("endpoints", len(b.entries)))
		reply, err := e.transport.upsert(ctx, b.request(), e.now())
		if err == nil {
			e.recordResults(context.WithoutCancel(ctx), b, reply)
			continue
		}
		if !consumererror.IsPermanent(err) {
			// Earlier permanent errors are not joined in: that would make the
			// whole error permanent and stop the retry.
			var pending []recordRef
			for _, rest := range batches[i:] {
				pending = append(pending, rest.refs()...)
			}
			return consumererror.NewLogs(err, selectRecords(ld, pending))
		}
		e.telemetry.ExporterMnmendpointEndpointsRejected.Add(ctx, int64(len(b.entries)), metric.WithAttributes(attribute.String("source", b.source)))
		// Debug only: the error is returned, and exporterhelper logs it.
		e.logger.Debug("controller rejected a batch of endpoints; it will not be retried",
			zap.String("source", b.source), zap.Int("endpoints", len(b.entries)), zap.Error(err))
		permanentErrs = append(permanentErrs, err)
		if errors.Is(err, errCredentialsRejected) {
			for _, rest := range batches[i+1:] {
				e.telemetry.ExporterMnmendpointEndpointsRejected.Add(ctx, int64(len(rest.entries)), metric.WithAttributes(attribute.String("source", rest.source)))
			}
			break
		}
	}
	// A permanent error is preserved by errors.Join's Unwrap.
	return errors.Join(permanentErrs...)
}

// recordResults counts the upserted endpoints of b by the action the
// controller reported. An unreadable answer is counted as action "unknown":
// the data was accepted (2xx), only the detail is missing.
func (e *endpointExporter) recordResults(ctx context.Context, b *batch, reply upsertReply) {
	if reply.unreadable != nil {
		e.logger.Debug("controller accepted the endpoints but its answer could not be read",
			zap.String("source", b.source), zap.Error(reply.unreadable))
	}
	counts := map[string]int64{}
	for _, r := range reply.response.Results {
		action := r.Action
		if action == "" {
			action = "unknown"
		}
		counts[action]++
	}
	if missing := int64(len(b.entries) - len(reply.response.Results)); missing > 0 {
		counts["unknown"] += missing
	}
	for action, n := range counts {
		e.telemetry.ExporterMnmendpointEndpointsUpserted.Add(ctx, n,
			metric.WithAttributes(attribute.String("action", action), attribute.String("source", b.source)))
	}
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
