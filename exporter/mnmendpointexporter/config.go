// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config defines the configuration of the mnmendpoint exporter.
type Config struct {
	// ClientConfig is a named field on purpose: confighttp.ClientConfig has
	// its own Unmarshal, and an anonymous embed would make confmap hand the
	// whole section to it and silently drop the sibling fields below.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`

	// Secret is the controller's shared secret (NAUTOBOT_SECRET_KEY) used to
	// mint the mnm_token cookie.
	Secret configopaque.String `mapstructure:"secret"`

	// Source overrides the `source` of every request. Empty: each record's
	// mnm.endpoint.source is used and one request is sent per source.
	Source string `mapstructure:"source"`

	// ChangeSource overrides the `change_source` of every request. Empty:
	// the request's source.
	ChangeSource string `mapstructure:"change_source"`

	// MaxBatchSize is the largest number of endpoints in one request.
	MaxBatchSize int `mapstructure:"max_batch_size"`

	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the settings that confighttp and exporterhelper do not.
func (cfg *Config) Validate() error {
	var errs []error
	errs = append(errs, validateEndpoint(cfg.ClientConfig.Endpoint))
	if cfg.MaxBatchSize <= 0 {
		errs = append(errs, fmt.Errorf("`max_batch_size` must be greater than 0, got %d: remove it to use the default of %d", cfg.MaxBatchSize, defaultMaxBatchSize))
	}
	if cfg.Secret == "" && !cfg.hasOtherCredentials() {
		errs = append(errs, errors.New("`secret` is required: set it to the controller's NAUTOBOT_SECRET_KEY (e.g. secret: ${env:MNM_CONTROLLER_SECRET}), or configure `auth` or a Cookie/Authorization entry in `headers`"))
	}
	return errors.Join(errs...)
}

func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return errors.New("`endpoint` is required: set it to the controller's base URL, e.g. https://nautobot.example.com")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("`endpoint` %q is not a valid URL: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("`endpoint` %q must start with http:// or https://", endpoint)
	}
	if u.Host == "" {
		return fmt.Errorf("`endpoint` %q has no host: use the form https://host[:port][/base-path]", endpoint)
	}
	return nil
}

// hasOtherCredentials reports whether the HTTP client already authenticates
// by other means, in which case no secret is needed.
func (cfg *Config) hasOtherCredentials() bool {
	if cfg.ClientConfig.Auth.HasValue() {
		return true
	}
	for name := range cfg.ClientConfig.Headers.Iter {
		if strings.EqualFold(name, "Cookie") || strings.EqualFold(name, "Authorization") {
			return true
		}
	}
	return false
}
