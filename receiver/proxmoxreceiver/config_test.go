// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	defaultWithEndpoint := loadedDefaultConfig(t)
	defaultWithEndpoint.ClientConfig.Endpoint = "https://pve1.example.com:8006"
	defaultWithEndpoint.TokenID = "monitor@pve!mnm"
	defaultWithEndpoint.TokenSecret = "11111111-2222-3333-4444-555555555555"

	custom := loadedDefaultConfig(t)
	custom.ClientConfig.Endpoint = "https://pve.example.com:8006"
	custom.ClientConfig.TLS.CAFile = "/etc/otelcol-mnm/pve-root-ca.pem"
	custom.ClientConfig.Timeout = 10 * time.Second
	custom.TokenID = "monitor@pve!mnm"
	custom.TokenSecret = "11111111-2222-3333-4444-555555555555"
	custom.CollectionInterval = 30 * time.Second
	custom.Timeout = 10 * time.Second
	custom.MaxConcurrentRequestsPerNode = 1
	custom.MaxConcurrentRequests = 16
	custom.DiskRefreshInterval = time.Hour
	custom.Inventory = InventoryConfig{CollectionInterval: 10 * time.Minute, IncludeTemplates: true, IncludeStopped: false, AgentBackoffCycles: 5,
		Timeout: 3 * time.Minute, KeepLastKnown: 30 * time.Minute, HostnameFrom: HostnameFromAgent}
	custom.MetricsBuilderConfig.Metrics.MnmProxmoxVMInfo.Enabled = true

	failover := loadedDefaultConfig(t)
	failover.Endpoints = []string{"https://pve1.example.com:8006", "https://pve2.example.com:8006", "https://10.0.0.3:8006"}
	failover.ClientConfig.TLS.ServerName = "pve.example.com"
	failover.TokenID = "monitor@pve!mnm"
	failover.TokenSecret = "11111111-2222-3333-4444-555555555555"

	tests := []struct {
		id       component.ID
		expected *Config
	}{
		{id: component.NewID(metadata.Type), expected: defaultWithEndpoint},
		{id: component.NewIDWithName(metadata.Type, "custom"), expected: custom},
		{id: component.NewIDWithName(metadata.Type, "failover"), expected: failover},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))
			// enabledSetByUser flags are unexported; compare what users see.
			assert.Equal(t, tt.expected.MetricsBuilderConfig.Metrics.MnmProxmoxVMInfo.Enabled, cfg.MetricsBuilderConfig.Metrics.MnmProxmoxVMInfo.Enabled)
			cfg.MetricsBuilderConfig = tt.expected.MetricsBuilderConfig
			cfg.LogsBuilderConfig = tt.expected.LogsBuilderConfig
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

// loadedDefaultConfig is the default config as it looks after loading:
// confighttp folds its keepalive section into the flat fields on Unmarshal.
func loadedDefaultConfig(t *testing.T) *Config {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, confmap.New().Unmarshal(cfg))
	return cfg
}

func TestValidate(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.TokenID = "monitor@pve!mnm"
		cfg.TokenSecret = "secret"
		return cfg
	}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string // every fragment must appear
	}{
		{name: "valid", mutate: func(*Config) {}},
		{name: "missing endpoint", mutate: func(c *Config) { c.ClientConfig.Endpoint = "" }, wantErr: []string{`"endpoint" is required`}},
		{name: "endpoint without scheme", mutate: func(c *Config) { c.ClientConfig.Endpoint = "pve:8006" }, wantErr: []string{`"endpoint"`, "https://HOST:8006"}},
		{name: "missing token id", mutate: func(c *Config) { c.TokenID = "" }, wantErr: []string{`"token_id" is required`, "pveum user token add"}},
		{name: "token id without realm", mutate: func(c *Config) { c.TokenID = "monitor!mnm" }, wantErr: []string{`"token_id"`, "USER@REALM!TOKENID"}},
		{name: "token id without token name", mutate: func(c *Config) { c.TokenID = "monitor@pve" }, wantErr: []string{"USER@REALM!TOKENID"}},
		{name: "token id with secret glued on", mutate: func(c *Config) { c.TokenID = "monitor@pve!mnm=abc" }, wantErr: []string{"USER@REALM!TOKENID"}},
		{name: "missing secret", mutate: func(c *Config) { c.TokenSecret = "" }, wantErr: []string{`"token_secret" is required`}},
		{name: "per node bound zero", mutate: func(c *Config) { c.MaxConcurrentRequestsPerNode = 0 }, wantErr: []string{`"max_concurrent_requests_per_node" must be at least 1`}},
		{name: "negative overall bound", mutate: func(c *Config) { c.MaxConcurrentRequests = -1 }, wantErr: []string{`"max_concurrent_requests"`}},
		{name: "zero interval", mutate: func(c *Config) { c.CollectionInterval = 0 }, wantErr: []string{`"collection_interval"`}},
		{name: "negative disk refresh", mutate: func(c *Config) { c.DiskRefreshInterval = -time.Second }, wantErr: []string{`"disk_refresh_interval"`}},
		{name: "zero inventory interval", mutate: func(c *Config) { c.Inventory.CollectionInterval = 0 }, wantErr: []string{`"inventory::collection_interval"`}},
		{name: "zero timeout", mutate: func(c *Config) { c.ClientConfig.Timeout = 0 }, wantErr: []string{`"timeout" must be positive`}},
		{name: "endpoint with user info", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://root:hunter2@pve:8006" }, wantErr: []string{`"endpoint"`, "without user info", "token_id"}},
		{name: "endpoint with query", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://pve:8006/?token=x" }, wantErr: []string{`"endpoint"`, "query"}},
		{name: "endpoint with fragment", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://pve:8006/#x" }, wantErr: []string{`"endpoint"`, "fragment"}},
		{name: "plain http endpoint is valid", mutate: func(c *Config) { c.ClientConfig.Endpoint = "http://pve:8006" }},
		{name: "negative inventory timeout", mutate: func(c *Config) { c.Inventory.Timeout = -time.Second }, wantErr: []string{`"inventory::timeout"`}},
		{name: "inventory timeout not under the interval", mutate: func(c *Config) { c.Inventory.Timeout = c.Inventory.CollectionInterval }, wantErr: []string{`"inventory::timeout"`, "shorter than"}},
		{name: "negative keep last known", mutate: func(c *Config) { c.Inventory.KeepLastKnown = -time.Second }, wantErr: []string{`"inventory::keep_last_known"`}},
		{name: "unknown hostname source", mutate: func(c *Config) { c.Inventory.HostnameFrom = "fqdn" }, wantErr: []string{`"inventory::hostname_from" is "fqdn": use "guest_name"`}},
		{name: "endpoints of one cluster", mutate: func(c *Config) {
			c.Endpoints = []string{"https://pve1:8006", "https://pve2:8006"}
		}},
		{name: "endpoints with endpoint set to another address", mutate: func(c *Config) {
			c.ClientConfig.Endpoint = "https://pve9:8006"
			c.Endpoints = []string{"https://pve1:8006", "https://pve2:8006"}
		}, wantErr: []string{`either "endpoint" or "endpoints"`}},
		{name: "endpoints with mixed schemes", mutate: func(c *Config) {
			c.Endpoints = []string{"https://pve1:8006", "http://pve2:8006"}
		}, wantErr: []string{`"endpoints" must all use the same scheme`}},
		{name: "an invalid entry of endpoints", mutate: func(c *Config) {
			c.Endpoints = []string{"https://pve1:8006", "https://root:hunter2@pve2:8006"}
		}, wantErr: []string{`"endpoints[1]"`, "without user info"}},
		{name: "several problems at once", mutate: func(c *Config) { c.TokenID = ""; c.TokenSecret = "" }, wantErr: []string{`"token_id"`, `"token_secret"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(cfg)
			err := cfg.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, frag := range tt.wantErr {
				assert.Contains(t, err.Error(), frag)
			}
			assert.NotContains(t, err.Error(), "hunter2", "a password in the endpoint never appears in an error")
		})
	}
}

func TestInventoryCycleTimeout(t *testing.T) {
	for _, tt := range []struct{ interval, timeout, want time.Duration }{
		{interval: 5 * time.Minute, want: 2 * time.Minute},
		{interval: 30 * time.Second, want: 15 * time.Second},
		{interval: 5 * time.Minute, timeout: 4 * time.Minute, want: 4 * time.Minute},
	} {
		c := InventoryConfig{CollectionInterval: tt.interval, Timeout: tt.timeout}
		assert.Equal(t, tt.want, c.cycleTimeout(), "%+v", tt)
	}
}

// The inventory starts half a metrics interval after the metrics
// collections, so that with intervals that are multiples of each other the
// two never run at once.
func TestInventoryStartsBetweenMetricsCollections(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cc := inventoryControllerConfig(cfg)
	assert.Equal(t, cfg.InitialDelay+30*time.Second, cc.InitialDelay)
	assert.Equal(t, 5*time.Minute, cc.CollectionInterval)
	assert.Equal(t, 2*time.Minute, cc.Timeout)
	// Every inventory cycle then starts 30 s after a metrics collection.
	for k := range 10 {
		start := cc.InitialDelay + time.Duration(k)*cc.CollectionInterval - cfg.InitialDelay
		assert.Equal(t, 30*time.Second, start%cfg.CollectionInterval, "cycle %d", k)
	}

	cfg.CollectionInterval, cfg.InitialDelay = 15*time.Second, 0
	assert.Equal(t, 7500*time.Millisecond, inventoryControllerConfig(cfg).InitialDelay)
}

func TestSecretNotInDumpedConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.TokenID = "monitor@pve!mnm"
	cfg.TokenSecret = "super-secret-token-value"
	conf := confmap.New()
	require.NoError(t, conf.Marshal(cfg))
	dumped := conf.ToStringMap()
	assert.NotContains(t, strings.Join(flatten(dumped), " "), "super-secret-token-value")
	assert.Equal(t, "[REDACTED]", dumped["token_secret"])
}

func flatten(m map[string]any) []string {
	var out []string
	for k, v := range m {
		switch vv := v.(type) {
		case map[string]any:
			out = append(out, flatten(vv)...)
		default:
			out = append(out, k+"="+strings.TrimSpace(strings.ReplaceAll(toString(vv), "\n", " ")))
		}
	}
	return out
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
