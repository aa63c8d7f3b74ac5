// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "https://pve.invalid:8006"
	cfg.TokenID = "monitor@pve!mnm"
	cfg.TokenSecret = "secret"
	return cfg
}

func TestSharedClientIsForgottenWithoutStart(t *testing.T) {
	before := sharedClients.Len()
	cfg := testConfig()
	f := NewFactory()
	set := receivertest.NewNopSettings(metadata.Type)
	m, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	l, err := f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.Equal(t, before+1, sharedClients.Len(), "both signals of one config share one client")

	require.NoError(t, m.Shutdown(context.Background()))
	require.NoError(t, l.Shutdown(context.Background()))
	assert.Equal(t, before, sharedClients.Len(), "a receiver created and shut down without start leaves no entry")
}

func TestSharedClientStartAndShutdownTwice(t *testing.T) {
	before := sharedClients.Len()
	cfg := testConfig()
	set := receivertest.NewNopSettings(metadata.Type)
	metrics := newMetricsScraper(cfg, set, shareClient(cfg, set))
	inventory := newInventoryScraper(cfg, set, shareClient(cfg, set))
	host := componenttest.NewNopHost()

	require.NoError(t, metrics.start(context.Background(), host))
	require.NoError(t, metrics.start(context.Background(), host), "a second start is safe")
	require.NoError(t, inventory.start(context.Background(), host))
	client := metrics.shared.get()
	require.NotNil(t, client)

	require.NoError(t, metrics.shutdown(context.Background()))
	require.NoError(t, metrics.shutdown(context.Background()))
	assert.Same(t, client, inventory.shared.get(), "the client lives while one receiver still runs")
	require.NoError(t, inventory.shutdown(context.Background()))
	assert.Nil(t, inventory.shared.get())
	assert.Equal(t, before, sharedClients.Len())

	// A restarted pipeline builds everything afresh.
	again := newMetricsScraper(cfg, set, shareClient(cfg, set))
	require.NoError(t, again.start(context.Background(), host))
	assert.NotSame(t, client, again.shared.get())
	require.NoError(t, again.shutdown(context.Background()))
	assert.Equal(t, before, sharedClients.Len())
}

func TestSharedClientStartFailureKeepsTheLease(t *testing.T) {
	cfg := testConfig()
	cfg.ClientConfig.TLS.CAFile = "/nonexistent/pve-root-ca.pem"
	set := receivertest.NewNopSettings(metadata.Type)
	s := newMetricsScraper(cfg, set, shareClient(cfg, set))
	err := s.start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "tls/proxy settings")
	before := sharedClients.Len()
	require.NoError(t, s.shutdown(context.Background()))
	assert.Equal(t, before-1, sharedClients.Len(), "forgotten")
}
