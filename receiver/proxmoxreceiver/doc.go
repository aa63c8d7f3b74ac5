// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package proxmoxreceiver scrapes the Proxmox VE API with read-only API-token
// requests and emits node, guest, storage, ZFS and disk metrics, plus one log
// record per guest network interface for the MNM endpoint inventory.
//
//go:generate go tool -modfile=../../internal/tools/go.mod mdatagen metadata.yaml
package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"
