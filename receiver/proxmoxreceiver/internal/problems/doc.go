// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package problems is the problem model of the proxmox receiver: the kinds
// of problem (the `kind` label of mnm_proxmox_problem), the Problem and the
// Set of one collection, the classification of failed requests (Classify,
// FromAPI, Key), the Log that logs each problem once when it appears and once
// when it clears, what the Collector's scraper helper is told of them
// (ErrorGate, QuietScrapeErrors), the diagnoses that ask Proxmox why an
// answer looks wrong (DiagnoseEmptyCluster, PrivilegeSeparation), and those
// of a failed request about one guest, with their fixes (AgentPrivilege,
// AgentCommandDisabled, UnparsableNIC, UnproxiedContainerInterfaces).
package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
