// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package guestnet parses Proxmox VE guest NIC definitions (qemu and lxc netN property strings) and the guest-reported
// interface lists (qemu guest agent, lxc /interfaces), and matches guest IP addresses to NICs by MAC address.
package guestnet // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
