// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Defaults that validation names in its errors.
const (
	defaultMaxBatchSize = 500
	defaultTimeout      = 30 * time.Second
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
	if cfg.ClientConfig.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("`timeout` must be positive, got %s: without it a controller that stops answering holds the export forever; remove it to use the default of %s", cfg.ClientConfig.Timeout, defaultTimeout))
	}
	errs = append(errs, cfg.validateQueue())
	for key, v := range map[string]string{"source": cfg.Source, "change_source": cfg.ChangeSource} {
		if utf8.RuneCountInString(v) > maxSourceRunes || cleanText(v, 0) != v {
			errs = append(errs, fmt.Errorf("`%s` %q must be at most %d characters without control characters or surrounding spaces: the controller's route refuses other values", key, v, maxSourceRunes))
		}
	}
	if cfg.Secret == "" && !cfg.hasOtherCredentials() {
		errs = append(errs, errors.New("`secret` is required: set it to the controller's NAUTOBOT_SECRET_KEY (e.g. secret: ${env:MNM_CONTROLLER_SECRET}), or configure `auth`, or a Cookie or Authorization header in `headers`"))
	}
	return errors.Join(errs...)
}

func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return errors.New("`endpoint` is required: set it to the controller's base URL, e.g. https://nautobot.example.com")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		// Neither the endpoint nor url.Error's text, which quotes it: it may
		// hold a password.
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		return fmt.Errorf("`endpoint` is not a valid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("`endpoint` %q must start with http:// or https://", u.Redacted())
	}
	if u.Host == "" {
		return fmt.Errorf("`endpoint` %q has no host: use the form https://host[:port][/base-path]", u.Redacted())
	}
	// The quoted endpoint leaves out what may be a credential.
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	var extras []string
	if u.User != nil {
		extras = append(extras, "userinfo (user:password@)")
	}
	if u.RawQuery != "" || u.ForceQuery {
		extras = append(extras, "a query string (?...)")
	}
	if u.Fragment != "" || strings.Contains(endpoint, "#") {
		extras = append(extras, "a fragment (#...)")
	}
	if len(extras) > 0 {
		return fmt.Errorf("`endpoint` %q must be the controller's base URL only, without %s: the exporter appends /%s to it; set `endpoint: %s` and pass credentials with `secret`, `headers` or `auth`",
			shown, strings.Join(extras, " or "), upsertPath, shown)
	}
	return nil
}

// validateQueue requires a single queue consumer and no exporterhelper
// batching. The controller records every change it is told about in its
// history: two consumers, or two batches flushed side by side, could deliver
// an older inventory snapshot after a newer one, and the history would show
// the endpoint going back and forth. One consumer sends the queued exports
// one after the other, in the order they were queued (also from a
// persistent queue after a restart); the exporter groups endpoints into
// requests itself (`max_batch_size`).
func (cfg *Config) validateQueue() error {
	if !cfg.QueueConfig.HasValue() {
		return nil
	}
	q := cfg.QueueConfig.Get()
	var errs []error
	if q.NumConsumers > 1 {
		errs = append(errs, fmt.Errorf("`sending_queue.num_consumers` must be 1, got %d: the controller records every change in its history, and parallel consumers could deliver an older inventory snapshot after a newer one; remove it to use the default of 1", q.NumConsumers))
	}
	if q.Batch.HasValue() {
		errs = append(errs, errors.New("`sending_queue.batch` is not supported: two merged batches may be flushed out of order, and the controller must apply inventory snapshots in the order they were taken; remove it (the exporter groups endpoints into requests of `max_batch_size` itself)"))
	}
	return errors.Join(errs...)
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
