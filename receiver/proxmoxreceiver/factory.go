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
	maxDefaultInventoryTimeout = 2 * time.Minute
	defaultKeepLastKnown       = 3 * defaultInventoryInterval
	defaultEndpoint            = "https://localhost:8006"
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
	s := newMetricsScraper(rCfg, set, sharedClients.lease(rCfg, set))
	life := newStopOnShutdown()
	sc, err := scraper.NewMetrics(stoppable(life, s.scrapeForController), scraper.WithStart(s.start), scraper.WithShutdown(s.shutdown))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	r, err := scraperhelper.NewMetricsController(&rCfg.ControllerConfig, problems.QuietScrapeErrors(set), next, scraperhelper.AddMetricsScraper(metadata.Type, sc))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	return life.receiver(r), nil
}

func createLogsReceiver(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	rCfg := cfg.(*Config)
	s := newInventoryScraper(rCfg, set, sharedClients.lease(rCfg, set))
	life := newStopOnShutdown()
	sc, err := scraper.NewLogs(stoppable(life, s.scrapeForController), scraper.WithStart(s.start), scraper.WithShutdown(s.shutdown))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	// The inventory has its own cadence and its own cycle deadline.
	cc := scraperhelper.ControllerConfig{
		CollectionInterval: rCfg.Inventory.CollectionInterval,
		InitialDelay:       rCfg.InitialDelay,
		Timeout:            rCfg.Inventory.cycleTimeout(),
	}
	f := scraper.NewFactory(metadata.Type, nil, scraper.WithLogs(func(context.Context, scraper.Settings, component.Config) (scraper.Logs, error) {
		return sc, nil
	}, metadata.LogsStability))
	r, err := scraperhelper.NewLogsController(&cc, problems.QuietScrapeErrors(set), next, scraperhelper.AddFactoryWithConfig(f, nil))
	if err != nil {
		return nil, errors.Join(err, s.shutdown(ctx))
	}
	return life.receiver(r), nil
}
