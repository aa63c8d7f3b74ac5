// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The answers come from the Proxmox sources named in absent.go; each
// version's wording is one row.
func TestIsAbsent(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		message     string
		fromProxmox bool
		want        bool
	}{
		{"SDN package not installed (7.4, 8.0)", 501, "Method 'GET /cluster/sdn/vnets' not implemented", true, true},
		{"lxc interfaces before PVE 8.1", 501, "Method 'GET /nodes/pve1/lxc/101/interfaces' not implemented", true, true},
		{"internal error as 501 (http-server < 5.2.0)", 501, "Can't locate object method \"x\" via package", true, false},
		{"501 from a proxy in front of Proxmox", 501, "Method 'GET /cluster/sdn/vnets' not implemented", false, false},
		{"Ceph not installed", 500, "binary not installed: /usr/bin/ceph-mon", true, true},
		{"Ceph not initialised (before 8.2)", 500, "pveceph configuration not initialized", true, true},
		{"Ceph not initialised (8.2+)", 500, "pveceph configuration not initialized - missing '/etc/pve/ceph.conf', missing '/etc/pve/ceph'", true, true},
		{"Ceph configured but unreachable", 500, "rados_connect failed - Connection timed out", true, false},
		{"ZFS module not loaded", 500, "command '/sbin/zpool list -HpPLo name,size,alloc,free,frag,dedup,health' failed: exit code 1", true, true},
		{"another server error", 500, "got timeout", true, false},
		{"forbidden", 403, "Permission check failed (/, Sys.Audit)", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &APIError{Path: "/x", Status: tt.status, Message: tt.message, fromProxmox: tt.fromProxmox})
			assert.Equal(t, tt.want, IsAbsent(err))
		})
	}
	assert.False(t, IsAbsent(nil))
	assert.False(t, IsAbsent(ErrTimeout))
	assert.True(t, IsAbsent(NotImplemented("/cluster/sdn/zones")))
}
