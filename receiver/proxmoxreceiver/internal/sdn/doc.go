// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package sdn reads what a guest NIC on a Proxmox SDN VNet carries on the
// wire (View, Wire: the VLAN a switch sees, or the VNI, or the QinQ service
// VLAN), and whether the token may see SDN at all (Access).
package sdn // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/sdn"
