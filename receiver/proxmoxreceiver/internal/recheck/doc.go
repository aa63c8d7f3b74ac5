// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package recheck decides when to ask Proxmox again: what a node was learnt
// to lack (Absences), an answer cached between refreshes with back-off after
// failures (Cache), and a group of requests asked on its own cadence whose
// last answer stands in between (Group), and a node that stopped answering
// in this inventory cycle (NodeBreaker).
//
// There is one clock discipline: nothing here reads the wall clock. Every
// method that depends on time takes now, the start of the caller's
// collection, so that the scrapers (and their tests) own the clock.
package recheck // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
