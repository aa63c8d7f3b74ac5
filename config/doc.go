// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package config gives Go code access to the monitoring assets shipped next to
// it: the Grafana dashboard in grafana/dashboards and the Prometheus alert rules
// in prometheus/rules. The end-to-end tests use it to run every dashboard query
// and to wait for the alerts against a real Prometheus.
package config // import "github.com/mnm-net/otelcol-mnm/config"
