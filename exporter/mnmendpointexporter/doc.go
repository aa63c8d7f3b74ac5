// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate go tool -modfile=../../internal/tools/go.mod mdatagen metadata.yaml

// Package mnmendpointexporter sends the endpoint records produced by the mnm
// connectors (one log record per network interface) to the controller's
// endpoint upsert route.
package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"
