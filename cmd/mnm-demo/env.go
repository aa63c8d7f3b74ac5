// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"slices"
	"strings"
)

// Environment variables read by config/demo.yaml (and config/otelcol-mnm.yaml).
const (
	envProxmoxEndpoint    = "PROXMOX_ENDPOINT"
	envProxmoxTokenID     = "PROXMOX_TOKEN_ID"
	envProxmoxTokenSecret = "PROXMOX_TOKEN_SECRET"
	envProxmoxCAFile      = "PROXMOX_CA_FILE"
	envControllerEndpoint = "MNM_CONTROLLER_ENDPOINT"
	envControllerSecret   = "MNM_CONTROLLER_SECRET"
	envQueueDir           = "MNM_QUEUE_DIR"
	envPrometheusListen   = "MNM_PROMETHEUS_LISTEN"
)

// defaultPrometheusListen is config/demo.yaml's default for MNM_PROMETHEUS_LISTEN.
const defaultPrometheusListen = "localhost:8889"

// simulateProxmox reports whether the demo must start the Proxmox simulator:
// a caller who set PROXMOX_ENDPOINT means a real cluster, with their own
// PROXMOX_* variables.
func simulateProxmox(getenv func(string) string) bool {
	return getenv(envProxmoxEndpoint) == ""
}

// simulateController reports whether the demo must start the controller stand-in.
func simulateController(getenv func(string) string) bool {
	return getenv(envControllerEndpoint) == ""
}

// metricsAddress is where the child's Prometheus exporter listens.
func metricsAddress(getenv func(string) string) string {
	if a := getenv(envPrometheusListen); a != "" {
		return a
	}
	return defaultPrometheusListen
}

// mergeEnv returns environ (KEY=VALUE entries) with every key of set replaced
// or added. Entries of environ keep their order; added keys follow, sorted,
// so the child's environment is reproducible.
func mergeEnv(environ []string, set map[string]string) []string {
	out := make([]string, 0, len(environ)+len(set))
	done := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		v, ok := set[k]
		switch {
		case !ok:
			out = append(out, kv)
		case !done[k]:
			out = append(out, k+"="+v)
			done[k] = true
		}
		// a duplicate of an overridden key is dropped: the first one would win
		// in some programs and the last in others
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		if !done[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+"="+set[k])
	}
	return out
}
