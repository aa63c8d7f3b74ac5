// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadata"
)

// NewFactory creates the factory of the mnmendpoint exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	clientCfg := confighttp.NewDefaultClientConfig()
	clientCfg.Timeout = defaultTimeout
	queueCfg := exporterhelper.NewDefaultQueueConfig()
	// One consumer, no exporterhelper batching: snapshots reach the
	// controller in the order they were taken (see Config.validateQueue).
	queueCfg.NumConsumers = 1
	if queueCfg.Batch.HasValue() {
		// Batching may be on by default behind a feature gate: keep its
		// settings but off.
		queueCfg.Batch = configoptional.Default(*queueCfg.Batch.Get())
	}
	return &Config{
		ClientConfig: clientCfg,
		MaxBatchSize: defaultMaxBatchSize,
		QueueConfig:  configoptional.Some(queueCfg),
		RetryConfig:  configretry.NewDefaultBackOffConfig(),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	eCfg := cfg.(*Config)
	exp, err := newEndpointExporter(eCfg, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, exp.pushLogs,
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The HTTP client's `timeout` bounds each request instead.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithRetry(eCfg.RetryConfig),
		exporterhelper.WithQueue(eCfg.QueueConfig),
	)
}
