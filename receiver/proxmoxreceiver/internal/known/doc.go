// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package known keeps what the inventory knows of each guest between cycles,
// in one place per guest (Guests): its config and addresses as Proxmox last
// confirmed them, so that a transient failure costs nothing at the
// controller; whether its agent is being left alone after staying silent;
// and what its agent said of its filesystems, OS and host name. A guest that
// no longer exists is forgotten all at once.
//
// Like package recheck, nothing here reads the wall clock: every method that
// depends on time takes now, the start of the caller's cycle; the agent
// back-off counts cycles (StartCycle).
package known // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"
