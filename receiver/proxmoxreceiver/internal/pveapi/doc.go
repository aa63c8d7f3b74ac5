// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package pveapi is the read-only Proxmox VE API client of the proxmox
// receiver: one method per API path (Client), a transport that only ever
// sends GET, a per-node bound on requests in flight, request statistics,
// tolerant decoding of Proxmox's Perl-typed JSON, and an error model whose
// messages name the path and the fix.
package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
