// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadata"
)

func TestCreateDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, 30*time.Second, cfg.ClientConfig.Timeout)
	assert.Equal(t, 500, cfg.MaxBatchSize)
	assert.True(t, cfg.QueueConfig.HasValue(), "sending_queue is enabled by default")
	assert.Equal(t, 1, cfg.QueueConfig.Get().NumConsumers, "one consumer: snapshots reach the controller in order")
	assert.False(t, cfg.QueueConfig.Get().Batch.HasValue(), "no exporterhelper batching")
	assert.True(t, cfg.RetryConfig.Enabled, "retry_on_failure is enabled by default")
	// Without endpoint and secret the default is not usable on its own.
	require.Error(t, confmap.Validate(cfg))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	storageID := component.MustNewID("file_storage")
	fullQueue := exporterhelper.NewDefaultQueueConfig()
	fullQueue.QueueSize = 5000
	fullQueue.NumConsumers = 1
	fullQueue.StorageID = &storageID

	tests := []struct {
		id       component.ID
		expected *Config
	}{
		{
			id: component.NewID(metadata.Type),
			expected: func() *Config {
				cfg := createDefaultConfig().(*Config)
				cfg.ClientConfig.Endpoint = "https://nautobot.example.com"
				cfg.Secret = "test-secret-value"
				return cfg
			}(),
		},
		{
			id: component.NewIDWithName(metadata.Type, "full"),
			expected: &Config{
				ClientConfig: func() confighttp.ClientConfig {
					c := confighttp.NewDefaultClientConfig()
					c.Endpoint = "https://nautobot.example.com/mnm"
					c.Timeout = 10 * time.Second
					c.Headers = configopaque.MapList{{Name: "X-Mnm-Collector", Value: "lab-1"}}
					return c
				}(),
				Secret:       "test-secret-value",
				Source:       "proxmox-lab",
				ChangeSource: "otelcol-mnm",
				MaxBatchSize: 200,
				QueueConfig:  configoptional.Some(fullQueue),
				RetryConfig: configretry.BackOffConfig{
					Enabled:             true,
					InitialInterval:     2 * time.Second,
					RandomizationFactor: configretry.NewDefaultBackOffConfig().RandomizationFactor,
					Multiplier:          configretry.NewDefaultBackOffConfig().Multiplier,
					MaxInterval:         time.Minute,
					MaxElapsedTime:      2 * time.Hour,
				},
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "header_auth"),
			expected: func() *Config {
				cfg := createDefaultConfig().(*Config)
				cfg.ClientConfig.Endpoint = "http://127.0.0.1:8080"
				cfg.ClientConfig.Headers = configopaque.MapList{{Name: "Cookie", Value: "mnm_token=1700000000.0123456789abcdef0123456789abcdef"}}
				return cfg
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.expected, cfg)
		})
	}

	t.Run("invalid", func(t *testing.T) {
		cfg := NewFactory().CreateDefaultConfig()
		sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "invalid").String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		err = confmap.Validate(cfg)
		require.Error(t, err)
		assert.ErrorContains(t, err, "`endpoint` \"ftp://nautobot.example.com\" must start with http:// or https://")
		assert.ErrorContains(t, err, "`max_batch_size` must be greater than 0")
		assert.ErrorContains(t, err, "`secret` is required")
	})

	t.Run("parallel", func(t *testing.T) {
		cfg := NewFactory().CreateDefaultConfig()
		sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "parallel").String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		err = confmap.Validate(cfg)
		require.Error(t, err)
		assert.ErrorContains(t, err, "`sending_queue.num_consumers` must be 1, got 4: the controller records every change in its history")
		assert.ErrorContains(t, err, "`sending_queue.batch` is not supported")
		assert.ErrorContains(t, err, "`timeout` must be positive, got 0s")
	})

	t.Run("credentials_in_url", func(t *testing.T) {
		cfg := NewFactory().CreateDefaultConfig()
		sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "credentials_in_url").String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		err = confmap.Validate(cfg)
		require.Error(t, err)
		assert.ErrorContains(t, err, "`endpoint` \"https://nautobot.example.com/base\" must be the controller's base URL only, without userinfo (user:password@) or a query string (?...) or a fragment (#...)")
		assert.NotContains(t, err.Error(), "hunter2")
		assert.NotContains(t, err.Error(), "token=abc")
	})
}

func TestValidate(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint = "https://nautobot.example.com"
		cfg.Secret = "s"
		return cfg
	}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string
	}{
		{name: "valid", mutate: func(*Config) {}},
		{name: "http is fine", mutate: func(c *Config) { c.ClientConfig.Endpoint = "http://127.0.0.1:8080/base/" }},
		{name: "query string", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://nautobot.example.com/?x=1" },
			wantErr: []string{"`endpoint` \"https://nautobot.example.com/\" must be the controller's base URL only, without a query string (?...)", "set `endpoint: https://nautobot.example.com/`"}},
		{name: "empty query string", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://nautobot.example.com?" },
			wantErr: []string{"without a query string"}},
		{name: "fragment", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://nautobot.example.com/mnm#x" },
			wantErr: []string{"`endpoint` \"https://nautobot.example.com/mnm\" must be the controller's base URL only, without a fragment (#...)"}},
		{name: "userinfo", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://admin:s3cr3t@nautobot.example.com" },
			wantErr: []string{"without userinfo (user:password@)", "pass credentials with `secret`, `headers` or `auth`"}},
		{name: "userinfo without password", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://admin@nautobot.example.com" },
			wantErr: []string{"without userinfo"}},
		{name: "zero timeout", mutate: func(c *Config) { c.ClientConfig.Timeout = 0 },
			wantErr: []string{"`timeout` must be positive, got 0s", "default of 30s"}},
		{name: "negative timeout", mutate: func(c *Config) { c.ClientConfig.Timeout = -time.Second },
			wantErr: []string{"`timeout` must be positive, got -1s"}},
		{name: "one consumer", mutate: func(c *Config) { c.QueueConfig.Get().NumConsumers = 1 }},
		{name: "two consumers", mutate: func(c *Config) { c.QueueConfig.Get().NumConsumers = 2 },
			wantErr: []string{"`sending_queue.num_consumers` must be 1, got 2", "older inventory snapshot after a newer one"}},
		{name: "exporterhelper batching", mutate: func(c *Config) {
			c.QueueConfig.Get().Batch = configoptional.Some(exporterhelper.BatchConfig{FlushTimeout: time.Second, Sizer: c.QueueConfig.Get().Sizer})
		}, wantErr: []string{"`sending_queue.batch` is not supported"}},
		{name: "queue disabled", mutate: func(c *Config) { c.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]() }},
		{name: "no endpoint", mutate: func(c *Config) { c.ClientConfig.Endpoint = "" }, wantErr: []string{"`endpoint` is required"}},
		{name: "no scheme", mutate: func(c *Config) { c.ClientConfig.Endpoint = "nautobot.example.com" }, wantErr: []string{"must start with http:// or https://"}},
		{name: "no host", mutate: func(c *Config) { c.ClientConfig.Endpoint = "https://" }, wantErr: []string{"has no host"}},
		{name: "unparsable", mutate: func(c *Config) { c.ClientConfig.Endpoint = "http://[::1" }, wantErr: []string{"is not a valid URL"}},
		{name: "unparsable with a password", mutate: func(c *Config) { c.ClientConfig.Endpoint = "http://u:hunter2@[::1" }, wantErr: []string{"`endpoint` is not a valid URL: missing ']' in host"}},
		{name: "negative batch", mutate: func(c *Config) { c.MaxBatchSize = -1 }, wantErr: []string{"`max_batch_size` must be greater than 0, got -1"}},
		{name: "source too long", mutate: func(c *Config) { c.Source = strings.Repeat("x", 65) }, wantErr: []string{"`source` \"xxx", "at most 64 characters"}},
		{name: "change_source with a newline", mutate: func(c *Config) { c.ChangeSource = "proxmox\n" }, wantErr: []string{"`change_source` \"proxmox\\n\" must be"}},
		{name: "no secret", mutate: func(c *Config) { c.Secret = "" }, wantErr: []string{"`secret` is required", "NAUTOBOT_SECRET_KEY"}},
		{name: "authorization header instead", mutate: func(c *Config) {
			c.Secret = ""
			c.ClientConfig.Headers = configopaque.MapList{{Name: "authorization", Value: "Token abc"}}
		}},
		{name: "auth extension instead", mutate: func(c *Config) {
			c.Secret = ""
			c.ClientConfig.Auth = configoptional.Some(configauth.Config{AuthenticatorID: component.MustNewID("bearertokenauth")})
		}},
		{name: "all at once", mutate: func(c *Config) {
			c.ClientConfig.Endpoint = ""
			c.MaxBatchSize = 0
			c.Secret = ""
		}, wantErr: []string{"`endpoint` is required", "`max_batch_size`", "`secret` is required"}},
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
			for _, want := range tt.wantErr {
				assert.ErrorContains(t, err, want)
			}
			for _, secret := range []string{"s3cr3t", "hunter2"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

// TestSecretNotInDumpedConfig marshals the config the way the Collector
// prints it and checks the secret is redacted.
func TestSecretNotInDumpedConfig(t *testing.T) {
	const secret = "very-secret-nautobot-key"
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "https://nautobot.example.com"
	cfg.Secret = secret

	conf := confmap.New()
	require.NoError(t, conf.Marshal(cfg))
	dumped := fmt.Sprint(conf.ToStringMap())
	assert.NotContains(t, dumped, secret)
	assert.Equal(t, "[REDACTED]", conf.Get("secret"))
	assert.Equal(t, "https://nautobot.example.com", conf.Get("endpoint"))

	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), secret)
}
