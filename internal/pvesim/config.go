// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"time"
)

// Defaults used by New for zero-valued Config fields.
const (
	DefaultNodes       = 3
	DefaultGuests      = 24
	DefaultTokenID     = "monitor@pve!mnm"
	DefaultTokenSecret = "5f0c2a4e-7b1d-4c3a-9e86-2d4b6a8c0e13"
)

// Config describes the simulated cluster and how the server behaves.
type Config struct {
	// Nodes is the number of cluster nodes (default 3).
	Nodes int
	// Guests is the number of guests over all nodes, about 65% qemu and 35%
	// lxc (default 24).
	Guests int
	// OfflineNodes takes the LAST n nodes offline from the start.
	OfflineNodes int
	// Seed makes every generated value reproducible.
	Seed int64
	// TokenID and TokenSecret form the only accepted API token.
	TokenID     string
	TokenSecret string
	// Latency is added to every /api2 request while it holds a worker slot.
	Latency time.Duration
	// WorkersPerNode limits concurrent requests per node like pveproxy's
	// worker pool (real: 3); 0 means unlimited. /nodes/{node}/... uses
	// {node}'s slots, cluster-wide paths use the first node's.
	WorkersPerNode int
	// AgentDelay is how long a configured but not running guest agent takes
	// to answer 500 (real PVE: about 3 s).
	AgentDelay time.Duration
	// AuthFailDelay delays every 401 for a wrong token (real PVE: about 3 s).
	AuthFailDelay time.Duration
	// Permissions selects the ACL the token has (default Full).
	Permissions Permissions
	// ErrorStyle selects the error body format (default PVE9).
	ErrorStyle ErrorStyle
}

func (c Config) withDefaults() Config {
	if c.Nodes <= 0 {
		c.Nodes = DefaultNodes
	}
	if c.Guests <= 0 {
		c.Guests = DefaultGuests
	}
	if c.OfflineNodes < 0 {
		c.OfflineNodes = 0
	}
	if c.OfflineNodes > c.Nodes {
		c.OfflineNodes = c.Nodes
	}
	if c.TokenID == "" {
		c.TokenID = DefaultTokenID
	}
	if c.TokenSecret == "" {
		c.TokenSecret = DefaultTokenSecret
	}
	if c.WorkersPerNode < 0 {
		c.WorkersPerNode = 0
	}
	return c
}

// Permissions is the ACL the API token has.
type Permissions int

const (
	// Full is PVEAuditor on / plus VM.GuestAgent.Audit (a PVE 9 monitoring token).
	Full Permissions = iota
	// AuditorPVE8 is like Full but answers qemu agent calls with 403 for the
	// missing VM.Monitor privilege, as PVE 8 does for a PVEAuditor token.
	AuditorPVE8
	// PrivSepNoACL is a privilege-separated token without any ACL: lists are
	// empty and everything needing Sys.Audit answers 403.
	PrivSepNoACL
)

// String returns the name used by the /_sim/fault control endpoint and the
// command-line flags.
func (p Permissions) String() string {
	switch p {
	case Full:
		return "full"
	case AuditorPVE8:
		return "auditor-pve8"
	case PrivSepNoACL:
		return "privsep-no-acl"
	default:
		return fmt.Sprintf("Permissions(%d)", int(p))
	}
}

// ParsePermissions parses "full", "auditor-pve8" or "privsep-no-acl".
func ParsePermissions(s string) (Permissions, error) {
	for _, p := range []Permissions{Full, AuditorPVE8, PrivSepNoACL} {
		if p.String() == s {
			return p, nil
		}
	}
	return Full, fmt.Errorf("unknown permissions %q: use full, auditor-pve8 or privsep-no-acl", s)
}

// ErrorStyle selects how error responses look.
type ErrorStyle int

const (
	// PVE9 (PVE >= 8.3) answers errors with {"data":null,"message":"<text>\n"}.
	PVE9 ErrorStyle = iota
	// PVE7 (PVE <= 8.2) answers {"data":null} and carries the text only in
	// the HTTP reason phrase. The connection is hijacked to write that
	// status line and closed afterwards.
	PVE7
)
