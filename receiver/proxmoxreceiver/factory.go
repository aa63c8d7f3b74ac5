// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
)

const (
	defaultCollectionInterval  = 60 * time.Second
	defaultTimeout             = 30 * time.Second
	defaultPerNodeConcurrency  = 2
	defaultDiskRefreshInterval = 30 * time.Minute
	defaultInventoryInterval   = 5 * time.Minute
	defaultAgentBackoffCycles  = 3
	defaultKeepLastKnown       = 3 * defaultInventoryInterval
	defaultIdleConnsPerHost    = 100
)

// NewFactory creates the factory of the proxmox receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithMetrics(createMetricsReceiver, metadata.MetricsStability),
		receiver.WithLogs(createLogsReceiver, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	cc := scraperhelper.NewDefaultControllerConfig()
	cc.CollectionInterval = defaultCollectionInterval
	cc.Timeout = defaultTimeout

	client := confighttp.NewDefaultClientConfig()
	client.Endpoint = defaultEndpoint
	client.Timeout = defaultTimeout
	// All requests go to one host, in parallel across nodes: keep enough idle
	// connections that each collection reuses them instead of paying a TLS
	// handshake per request (Go's default keeps 2).
	keepalive := confighttp.NewDefaultKeepaliveClientConfig()
	keepalive.MaxIdleConnsPerHost = defaultIdleConnsPerHost
	client.Keepalive = configoptional.Some(keepalive)

	return &Config{
		ClientConfig:                 client,
		ControllerConfig:             cc,
		MetricsBuilderConfig:         metadata.NewDefaultMetricsBuilderConfig(),
		LogsBuilderConfig:            metadata.DefaultLogsBuilderConfig(),
		MaxConcurrentRequestsPerNode: defaultPerNodeConcurrency,
		DiskRefreshInterval:          defaultDiskRefreshInterval,
		Inventory: InventoryConfig{
			CollectionInterval: defaultInventoryInterval,
			IncludeStopped:     true,
			AgentBackoffCycles: defaultAgentBackoffCycles,
			KeepLastKnown:      defaultKeepLastKnown,
			HostnameFrom:       HostnameFromGuestName,
		},
		SlowTier: SlowTierConfig{
			StateInterval:       5 * time.Minute,
			BackupInterval:      10 * time.Minute,
			BackupLookback:      8 * 24 * time.Hour,
			CertificateInterval: time.Hour,
		},
	}
}

func createMetricsReceiver(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	rCfg := cfg.(*Config)
	s := newMetricsScraper(rCfg, set, shareClient(rCfg, set))
	sc, err := scraper.NewMetrics(forController(&s.scraperBase, s.scrape, pmetric.Metrics.DataPointCount), scraper.WithStart(s.start), scraper.WithShutdown(s.shutdown))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	r, err := scraperhelper.NewMetricsController(&rCfg.ControllerConfig, problems.QuietScrapeErrors(set), next, scraperhelper.AddMetricsScraper(metadata.Type, sc))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	return s.stopping(r), nil
}

func createLogsReceiver(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	rCfg := cfg.(*Config)
	s := newInventoryScraper(rCfg, set, shareClient(rCfg, set))
	sc, err := scraper.NewLogs(forController(&s.scraperBase, s.scrape, plog.Logs.LogRecordCount), scraper.WithStart(s.start), scraper.WithShutdown(s.shutdown))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	// The scraper helper adds a logs scraper only through a factory.
	f := scraper.NewFactory(metadata.Type, nil, scraper.WithLogs(func(context.Context, scraper.Settings, component.Config) (scraper.Logs, error) {
		return sc, nil
	}, metadata.LogsStability))
	cc := inventoryControllerConfig(rCfg)
	r, err := scraperhelper.NewLogsController(&cc, problems.QuietScrapeErrors(set), next, scraperhelper.AddFactoryWithConfig(f, nil))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	return s.stopping(r), nil
}

// inventoryControllerConfig gives the inventory its own cadence and cycle
// deadline, and starts it half a metrics interval after the metrics
// collections: with the default intervals (5 min, a multiple of 60 s) the
// two never run at once, so they do not queue behind each other at pveproxy
// and the Collector never holds a cycle's answers and records beside a
// collection's metrics (at 2,000 guests about 5 MiB of the peak).
func inventoryControllerConfig(cfg *Config) scraperhelper.ControllerConfig {
	return scraperhelper.ControllerConfig{
		CollectionInterval: cfg.Inventory.CollectionInterval,
		InitialDelay:       cfg.InitialDelay + cfg.CollectionInterval/2,
		Timeout:            cfg.Inventory.cycleTimeout(),
	}
}
