// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
)

const (
	// defaultEndpoint is the endpoint of the default configuration: a
	// Collector on a Proxmox node. Validate reads it as "not set".
	defaultEndpoint = "https://localhost:8006"
	// maxDefaultInventoryTimeout caps the inventory cycle's default deadline.
	maxDefaultInventoryTimeout = 2 * time.Minute
)

// tokenIDPattern is USER@REALM!TOKENID as pveum prints it.
var tokenIDPattern = regexp.MustCompile(`^[^\s@!=]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*$`)

// Config is the configuration of the proxmox receiver.
type Config struct {
	// ClientConfig is a named squash field: confighttp.ClientConfig has its own
	// Unmarshal, and an anonymous embed would silently drop the sibling keys.
	ClientConfig                   confighttp.ClientConfig `mapstructure:",squash"`
	scraperhelper.ControllerConfig `mapstructure:",squash"`
	MetricsBuilderConfig           metadata.MetricsBuilderConfig `mapstructure:",squash"`
	LogsBuilderConfig              metadata.LogsBuilderConfig    `mapstructure:",squash"`

	// Endpoints are API addresses of several nodes of the same cluster, in
	// order of preference, instead of one endpoint: when one cannot answer,
	// the next one serves, and the first one serves again when it answers.
	Endpoints []string `mapstructure:"endpoints"`

	// TokenID is the API token id, USER@REALM!TOKENID.
	TokenID string `mapstructure:"token_id"`
	// TokenSecret is the token's UUID secret.
	TokenSecret configopaque.String `mapstructure:"token_secret"`

	// MaxConcurrentRequestsPerNode bounds requests in flight to one Proxmox node:
	// each node answers its own /nodes/{node}/... paths with 3 pveproxy workers.
	MaxConcurrentRequestsPerNode int `mapstructure:"max_concurrent_requests_per_node"`
	// MaxConcurrentRequests bounds requests in flight overall; 0 means no bound
	// beyond the per-node one.
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`
	// DiskRefreshInterval is how often /nodes/{node}/disks/list is asked again:
	// Proxmox runs smartctl on every disk for each call. In between, the last
	// answer is re-emitted.
	DiskRefreshInterval time.Duration `mapstructure:"disk_refresh_interval"`

	// Inventory configures the logs signal: one record per guest NIC.
	Inventory InventoryConfig `mapstructure:"inventory"`

	// SlowTier sets how often the metrics that change slowly, or cost more,
	// are asked for; in between their last answers are reported again.
	SlowTier SlowTierConfig `mapstructure:"slow_tier"`
}

// SlowTierConfig configures the groups asked less often than every metrics
// collection, so that a collection's requests stay 2 + 5N.
type SlowTierConfig struct {
	// StateInterval: HA, replication and Ceph (1 + N + 1 requests).
	StateInterval time.Duration `mapstructure:"state_interval"`
	// BackupInterval: backup coverage and the vzdump tasks (1 + N requests,
	// plus one task log per new backup job of several guests).
	BackupInterval time.Duration `mapstructure:"backup_interval"`
	// BackupLookback is how far back the first look at the tasks goes.
	BackupLookback time.Duration `mapstructure:"backup_lookback"`
	// CertificateInterval: certificates and subscriptions (2N requests).
	CertificateInterval time.Duration `mapstructure:"certificate_interval"`
}

// InventoryConfig configures the guest network inventory (logs signal).
type InventoryConfig struct {
	// CollectionInterval is the inventory cadence, separate from the metrics one.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// IncludeTemplates emits NICs of templates too (off: templates never run).
	IncludeTemplates bool `mapstructure:"include_templates"`
	// IncludeStopped emits NICs of stopped guests (their MACs are still inventory).
	IncludeStopped bool `mapstructure:"include_stopped"`
	// AgentBackoffCycles is how many inventory cycles a guest whose agent did not
	// answer is left alone before it is asked again (a restart asks at once).
	AgentBackoffCycles int `mapstructure:"agent_backoff_cycles"`
	// Timeout bounds one inventory cycle: what is not read by then keeps its
	// last known records, and the cycle ends on time. 0 (the default) is half
	// the collection interval, at most 2m.
	Timeout time.Duration `mapstructure:"timeout"`
	// KeepLastKnown is how long a guest's last confirmed NICs and addresses
	// stand in when Proxmox or the guest agent fails to answer (0: never).
	KeepLastKnown time.Duration `mapstructure:"keep_last_known"`
	// HostnameFrom is what the records' mnm.endpoint.hostname, the
	// controller's hostname, is: guest_name (the default), the name Proxmox
	// shows, or agent, the host name the guest's agent reports (the guest
	// name while it reports none).
	HostnameFrom string `mapstructure:"hostname_from"`
}

// Values of inventory::hostname_from.
const (
	HostnameFromGuestName = "guest_name"
	HostnameFromAgent     = "agent"
)

// Validate checks the configuration and names the key and the fix of each problem.
func (cfg *Config) Validate() error {
	var errs []error
	switch {
	case len(cfg.Endpoints) == 0 && cfg.ClientConfig.Endpoint == "":
		errs = append(errs, errors.New(`"endpoint" is required: set it to the Proxmox API address, such as https://pve.example.com:8006`))
	case len(cfg.Endpoints) == 0:
		errs = append(errs, validateEndpoint("endpoint", cfg.ClientConfig.Endpoint)...)
	case cfg.ClientConfig.Endpoint != defaultEndpoint && cfg.ClientConfig.Endpoint != cfg.Endpoints[0]:
		errs = append(errs, fmt.Errorf(`set either "endpoint" or "endpoints", not both: "endpoints" lists every node address to use, in order of preference`))
	default:
		schemes := map[string]bool{}
		for i, e := range cfg.Endpoints {
			errs = append(errs, validateEndpoint(fmt.Sprintf("endpoints[%d]", i), e)...)
			if u, err := url.Parse(e); err == nil {
				schemes[u.Scheme] = true
			}
		}
		if len(schemes) > 1 {
			errs = append(errs, errors.New(`"endpoints" must all use the same scheme, https://HOST:8006`))
		}
	}
	switch {
	case cfg.TokenID == "":
		errs = append(errs, errors.New(`"token_id" is required: create a token with "pveum user token add USER@REALM TOKENID" and set token_id to USER@REALM!TOKENID`))
	case !tokenIDPattern.MatchString(cfg.TokenID):
		errs = append(errs, fmt.Errorf(`"token_id" %q must look like USER@REALM!TOKENID, for example monitor@pve!mnm`, cfg.TokenID))
	}
	if cfg.TokenSecret == "" {
		errs = append(errs, errors.New(`"token_secret" is required: use the secret shown once by "pveum user token add", preferably from an environment variable such as ${env:PROXMOX_TOKEN_SECRET}`))
	}
	if cfg.CollectionInterval <= 0 {
		errs = append(errs, errors.New(`"collection_interval" must be positive, for example 60s`))
	}
	if cfg.ClientConfig.Timeout <= 0 {
		errs = append(errs, errors.New(`"timeout" must be positive, for example 30s: it bounds each request, and without it a hung node holds its requests for ever`))
	}
	if cfg.MaxConcurrentRequestsPerNode < 1 {
		errs = append(errs, fmt.Errorf(`"max_concurrent_requests_per_node" must be at least 1 (got %d); 2 is the default and leaves one of the node's 3 pveproxy workers free`, cfg.MaxConcurrentRequestsPerNode))
	}
	if cfg.MaxConcurrentRequests < 0 {
		errs = append(errs, fmt.Errorf(`"max_concurrent_requests" must be 0 (no overall bound) or positive (got %d)`, cfg.MaxConcurrentRequests))
	}
	if cfg.DiskRefreshInterval < 0 {
		errs = append(errs, errors.New(`"disk_refresh_interval" must not be negative; 0 asks for disks at every collection`))
	}
	if cfg.Inventory.CollectionInterval <= 0 {
		errs = append(errs, errors.New(`"inventory::collection_interval" must be positive, for example 5m`))
	}
	if cfg.Inventory.AgentBackoffCycles < 0 {
		errs = append(errs, errors.New(`"inventory::agent_backoff_cycles" must not be negative`))
	}
	if cfg.Inventory.Timeout < 0 || cfg.Inventory.Timeout >= cfg.Inventory.CollectionInterval && cfg.Inventory.CollectionInterval > 0 {
		errs = append(errs, fmt.Errorf(`"inventory::timeout" (%s) must be shorter than "inventory::collection_interval" (%s), for example 2m for 5m; 0 takes half the interval, at most 2m`, cfg.Inventory.Timeout, cfg.Inventory.CollectionInterval))
	}
	for _, d := range []struct {
		key string
		d   time.Duration
	}{{"slow_tier::state_interval", cfg.SlowTier.StateInterval}, {"slow_tier::backup_interval", cfg.SlowTier.BackupInterval},
		{"slow_tier::backup_lookback", cfg.SlowTier.BackupLookback}, {"slow_tier::certificate_interval", cfg.SlowTier.CertificateInterval}} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf(`%q must be positive, for example 10m`, d.key))
		}
	}
	if h := cfg.Inventory.HostnameFrom; h != "" && h != HostnameFromGuestName && h != HostnameFromAgent {
		errs = append(errs, fmt.Errorf(`"inventory::hostname_from" is %q: use %q (the name Proxmox shows, the default) or %q (the host name the guest agent reports)`, h, HostnameFromGuestName, HostnameFromAgent))
	}
	if cfg.Inventory.KeepLastKnown < 0 {
		errs = append(errs, errors.New(`"inventory::keep_last_known" must not be negative; 0 never keeps a guest's last known records`))
	}
	return errors.Join(errs...)
}

// validateEndpoint checks one API address under the YAML key named key.
func validateEndpoint(key, raw string) []error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return []error{fmt.Errorf(`%q %q is not a valid URL: use https://HOST:8006`, key, redactedURL(raw))}
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return []error{fmt.Errorf(`%q %q must be only the API address, https://HOST:8006, without user info, query or fragment: the token goes in token_id and token_secret`, key, redactedURL(raw))}
	}
	return nil
}

// endpointList is every API address to use, in order of preference.
func (cfg *Config) endpointList() []string {
	if len(cfg.Endpoints) > 0 {
		return cfg.Endpoints
	}
	return []string{cfg.ClientConfig.Endpoint}
}

// cycleTimeout is the deadline of one inventory cycle.
func (c InventoryConfig) cycleTimeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return min(c.CollectionInterval/2, maxDefaultInventoryTimeout)
}

// redactedURL is raw without any password, for error messages.
func redactedURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// endpointHost is the host part of the endpoint, for server.address.
func endpointHost(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return endpoint
}
