// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package endpointrecord is the endpoint record contract shared by the
// producers of endpoint records (the proxmox receiver, one log record per
// guest network interface) and their consumer, the mnmendpoint exporter: the
// attribute keys, the one MAC rule and the VLAN range.
//
// Both sides apply the same rule so that a producer never emits a record the
// exporter has to drop for its MAC.
package endpointrecord // import "github.com/mnm-net/otelcol-mnm/internal/endpointrecord"
