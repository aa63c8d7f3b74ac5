// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func qmpPicks(c *Cluster) map[int]string {
	out := map[int]string{}
	for _, g := range c.Guests {
		if g.Type == "qemu" && g.QMPStatus != g.Status {
			out[g.VMID] = g.QMPStatus
		}
	}
	return out
}

func TestQMPStatesOffByDefault(t *testing.T) {
	for _, seed := range []int64{1, 2} {
		c := New(Config{Seed: seed}).Cluster()
		for _, g := range c.Guests {
			if g.Type == "qemu" {
				assert.Equal(t, g.Status, g.QMPStatus, "seed %d vmid %d", seed, g.VMID)
			} else {
				assert.Empty(t, g.QMPStatus)
			}
		}
	}
}

// TestQMPStatesPicks pins which guests of the default-sized clusters get a
// QMP state, since clusters with QMPStates depend on them.
func TestQMPStatesPicks(t *testing.T) {
	assert.Equal(t, map[int]string{101: QMPSuspended, 102: QMPPrelaunch, 110: QMPPaused},
		qmpPicks(New(Config{Seed: 1, QMPStates: true}).Cluster()))
	assert.Equal(t, map[int]string{101: QMPPrelaunch, 102: QMPSuspended, 108: QMPPaused},
		qmpPicks(New(Config{Seed: 2, QMPStates: true}).Cluster()))

	big := qmpPicks(New(Config{Nodes: 8, Guests: 600, Seed: 5, QMPStates: true}).Cluster())
	counts := map[string]int{}
	for _, st := range big {
		counts[st]++
	}
	for _, st := range []string{QMPPaused, QMPSuspended, QMPPrelaunch} {
		assert.Positive(t, counts[st], st)
	}
}

func TestQMPStatesLeaveOtherGuestsAlone(t *testing.T) {
	for _, seed := range []int64{1, 2, 9} {
		plain := New(Config{Nodes: 4, Guests: 90, Seed: seed}).Cluster()
		with := New(Config{Nodes: 4, Guests: 90, Seed: seed, QMPStates: true}).Cluster()
		assert.Equal(t, plain.Nodes, with.Nodes)
		picked := qmpPicks(with)
		require.NotEmpty(t, picked)
		for i, g := range with.Guests {
			want := plain.Guests[i]
			if _, ok := picked[g.VMID]; ok {
				// only what a non-running QMP state changes
				want.QMPStatus, want.Agent, want.CPU = g.QMPStatus, g.Agent, g.CPU
				want.Mem, want.DiskRead, want.DiskWrite, want.NetIn, want.NetOut = g.Mem, g.DiskRead, g.DiskWrite, g.NetIn, g.NetOut
			}
			assert.Equal(t, want, g, "seed %d vmid %d", seed, g.VMID)
		}
	}
}

// TestQMPStatesAnswers checks what a paused, suspended or prelaunch guest
// looks like: pvestatd records "qmpstatus || status" in the RRD
// (pve-manager PVE/Service/pvestatd.pm update_qemu_status), which
// /cluster/resources returns (PVE/API2Tools.pm extract_vm_stats); vmstatus
// keeps status "running" because a pid exists and reads qmpstatus from QMP
// query-status (qemu-server src/PVE/QemuServer.pm); the agent ping times out
// (src/PVE/QemuServer/Agent.pm assert_agent_available).
func TestQMPStatesAnswers(t *testing.T) {
	const delay = 30 * time.Millisecond
	e := newEnv(t, Config{Seed: 1, QMPStates: true, AgentDelay: delay})
	c := e.sim.Cluster()
	res := map[string]map[string]any{}
	for _, r := range list(t, e.data(t, "/cluster/resources?type=vm")) {
		res[r["id"].(string)] = r
	}
	seen := map[string]bool{}
	for _, g := range c.Guests {
		if g.Type != "qemu" || g.QMPStatus == g.Status {
			continue
		}
		t.Run(fmt.Sprintf("%d %s", g.VMID, g.QMPStatus), func(t *testing.T) {
			seen[g.QMPStatus] = true
			assert.Equal(t, "running", g.Status)
			assert.Equal(t, AgentNotRunning, g.Agent)
			assert.True(t, agentEnabled(g.AgentConfig), "the agent is configured")
			assert.Zero(t, g.CPU)

			r := res[fmt.Sprintf("qemu/%d", g.VMID)]
			assert.Equal(t, g.QMPStatus, r["status"])
			assert.InDelta(t, float64(g.Uptime), r["uptime"], 0)
			assert.InDelta(t, 0, r["cpu"], 0)

			var entry map[string]any
			for _, vm := range list(t, e.data(t, "/nodes/"+g.Node+"/qemu")) {
				if vm["vmid"] == float64(g.VMID) {
					entry = vm
				}
			}
			require.NotNil(t, entry)
			assert.Equal(t, "running", entry["status"], "the list is vmstatus without full: no qmpstatus")
			assert.NotContains(t, entry, "qmpstatus")
			assert.Contains(t, entry, "pid")

			st := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/status/current", g.Node, g.VMID)))
			assert.Equal(t, "running", st["status"])
			assert.Equal(t, g.QMPStatus, st["qmpstatus"])
			assert.Contains(t, st, "pid")
			assert.Equal(t, r["mem"], st["mem"])
			if g.QMPStatus == QMPPrelaunch {
				assert.NotContains(t, st, "freemem", "a guest that never ran sent no balloon statistics")
				assert.LessOrEqual(t, g.Mem, 96*mib)
				assert.Zero(t, g.NetOut)
			} else {
				assert.Contains(t, st, "freemem")
			}

			cfg := object(t, e.data(t, fmt.Sprintf("/nodes/%s/qemu/%d/config", g.Node, g.VMID)))
			for _, nic := range g.NICs {
				require.NotEmpty(t, nic.MAC, "a started guest has every MAC")
				assert.Contains(t, cfg[nic.Key], nic.MAC)
			}

			start := time.Now()
			a := e.get(t, fmt.Sprintf("/nodes/%s/qemu/%d/agent/network-get-interfaces", g.Node, g.VMID))
			assert.Equal(t, http.StatusInternalServerError, a.status)
			assert.Equal(t, "QEMU guest agent is not running\n", errorMessage(t, a))
			assert.GreaterOrEqual(t, time.Since(start), delay, "the guest-ping times out")
		})
	}
	assert.Equal(t, map[string]bool{QMPPaused: true, QMPSuspended: true, QMPPrelaunch: true}, seen)
}
