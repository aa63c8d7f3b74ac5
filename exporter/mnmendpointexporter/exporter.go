// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// upsertPath is the controller route, relative to `endpoint`.
const upsertPath = "api/endpoints/upsert"

type endpointExporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	upsertURL string
	// logURL is upsertURL without any userinfo password, for logs.
	logURL    string
	userAgent string
	now       func() time.Time

	// client is built in start, where the auth extensions are available.
	client *http.Client
}

func newEndpointExporter(cfg *Config, set exporter.Settings) (*endpointExporter, error) {
	upsertURL, err := url.JoinPath(cfg.ClientConfig.Endpoint, upsertPath)
	if err != nil {
		return nil, fmt.Errorf("`endpoint` %q cannot be joined with %q: %w", cfg.ClientConfig.Endpoint, upsertPath, err)
	}
	logURL := upsertURL
	if u, parseErr := url.Parse(upsertURL); parseErr == nil {
		logURL = u.Redacted()
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
		upsertURL: upsertURL,
		logURL:    logURL,
		userAgent: fmt.Sprintf("%s/%s (%s/%s)", set.BuildInfo.Description, set.BuildInfo.Version, runtime.GOOS, runtime.GOARCH),
		now:       time.Now,
	}, nil
}

func (e *endpointExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.settings)
	if err != nil {
		return fmt.Errorf("building the HTTP client for `endpoint` %q: %w", e.cfg.ClientConfig.Endpoint, err)
	}
	e.client = client
	return nil
}

// shutdown is safe without start.
func (e *endpointExporter) shutdown(context.Context) error {
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	e.telemetry.Shutdown()
	return nil
}

// pushLogs sends the records as one or more upsert requests. A content error
// (permanent, e.g. 422) rejects only its batch and the following batches are
// still tried; a credentials error stops everything; a retryable error stops
// and hands back only the records not yet delivered so that a retry does not
// resend what the controller already has.
func (e *endpointExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	batches, dropped := planBatches(ld, e.cfg, e.now())
	e.recordDropped(ctx, dropped)

	var permanentErrs []error
	for i, b := range batches {
		err := e.upsert(ctx, b)
		if err == nil {
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
		e.logger.Error("controller rejected a batch of endpoints; it will not be retried",
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
