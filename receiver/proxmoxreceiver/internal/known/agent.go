// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package known // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/known"

import (
	"time"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
)

// OSRecheck is how often a running VM's OS and host name are asked again.
const OSRecheck = time.Hour

// Agent is what one VM's guest agent said beyond its addresses.
type Agent struct {
	Filesystems []guestnet.Filesystem
	FSAt        time.Time
	HasFS       bool
	OS          *guestnet.OSInfo
	HostName    string
	// OSAt is when the OS or the host name last answered; OSUptime the VM's
	// uptime then: a smaller uptime later means it restarted (maybe into
	// another OS).
	OSAt     time.Time
	OSUptime int64
	// unsupported: commands the agent said it does not have, and when; an
	// agent upgrade comes with a restart, or is noticed hourly.
	unsupported map[string]time.Time
}

// Supports reports whether cmd is worth asking: the agent did not say it
// lacks it since the VM last started, nor within OSRecheck.
func (a *Agent) Supports(cmd string, uptime int64, now time.Time) bool {
	at, ok := a.unsupported[cmd]
	if !ok {
		return true
	}
	if now.Sub(at) >= OSRecheck || uptime < a.OSUptime {
		delete(a.unsupported, cmd)
		return true
	}
	return false
}

// Unsupported records that the agent (or Proxmox) lacks cmd.
func (a *Agent) Unsupported(cmd string, now time.Time) {
	if a.unsupported == nil {
		a.unsupported = map[string]time.Time{} // most agents lack nothing: no map for them
	}
	a.unsupported[cmd] = now
}

// OSDue reports whether the OS and the host name are to be asked: at the
// first cycle, after a restart, hourly.
func (a *Agent) OSDue(uptime int64, now time.Time) bool {
	return a.OSAt.IsZero() || now.Sub(a.OSAt) >= OSRecheck || uptime < a.OSUptime
}
