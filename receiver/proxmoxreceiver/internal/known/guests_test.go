// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package known

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

var t0 = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func vm(id string, uptime int64) *pveapi.ClusterResource {
	return &pveapi.ClusterResource{ID: id, Type: "qemu", Uptime: pveapi.FlexInt{Value: uptime, Valid: true}}
}

func TestRecallGivesWhatWasLearntWhileFresh(t *testing.T) {
	k := NewGuests(15*time.Minute, 3)
	g := vm("qemu/100", 5000)
	nics := []guestnet.NIC{{Device: "net0", MAC: "BC:24:11:00:00:01"}}
	addrs := map[guestnet.AddrKey][]netip.Addr{{MAC: "BC:24:11:00:00:01"}: {netip.MustParseAddr("10.0.0.5")}}
	k.Learn(g, Learnt{Name: "web", NICs: nics, AddrsConfirmed: true, Addrs: addrs}, t0)
	last := k.Recall(g.ID, t0.Add(15*time.Minute))
	assert.Equal(t, "web", last.Name)
	assert.Equal(t, nics, last.NICs)
	assert.Equal(t, addrs, last.Addrs)
	assert.Equal(t, t0, last.AddrsAt)
	assert.Equal(t, Last{}, k.Recall(g.ID, t0.Add(15*time.Minute+time.Second)), "too old to stand for the present")

	// A config read without news of the addresses keeps the last ones.
	k.Learn(g, Learnt{Name: "web2", NICs: nics}, t0.Add(time.Minute))
	last = k.Recall(g.ID, t0.Add(time.Minute))
	assert.Equal(t, "web2", last.Name)
	assert.Equal(t, addrs, last.Addrs, "the last addresses stand")
	assert.Equal(t, t0, last.AddrsAt, "dated when they were confirmed")

	k.Learn(g, Learnt{Name: "web", NICs: nics, AddrsConfirmed: true}, t0.Add(2*time.Minute))
	last = k.Recall(g.ID, t0.Add(2*time.Minute))
	assert.Nil(t, last.Addrs)
	assert.True(t, last.AddrsAt.IsZero(), "definitely none: nothing to date")
	assert.Equal(t, "web", last.Name, "the config stays")
	assert.Equal(t, Last{}, NewGuests(0, 3).Recall(g.ID, t0.Add(2*time.Minute)), "keep 0: never stands in")
	assert.Equal(t, Last{}, k.Recall("qemu/999", t0))
}

func TestSilentAgentIsLeftAloneForTheBackoffCycles(t *testing.T) {
	k := NewGuests(time.Hour, 2)
	g := vm("qemu/100", 5000)
	k.StartCycle()
	require.True(t, k.ShouldAsk(g))
	k.Learn(g, Learnt{Agent: Silent}, t0)
	for cycle := range 2 {
		k.StartCycle()
		assert.False(t, k.ShouldAsk(g), "backed-off cycle %d", cycle+1)
	}
	k.StartCycle()
	assert.True(t, k.ShouldAsk(g), "asked again after 2 cycles")
	// A restart (uptime went down) is asked at once; an answer ends the back-off.
	k.Learn(g, Learnt{Agent: Silent}, t0)
	k.StartCycle()
	assert.True(t, k.ShouldAsk(vm("qemu/100", 30)))
	k.Learn(g, Learnt{Agent: Silent}, t0)
	k.StartCycle()
	k.Learn(g, Learnt{Agent: NoNews}, t0)
	assert.False(t, k.ShouldAsk(g), "no news keeps the back-off")
	k.Learn(g, Learnt{Agent: Answered}, t0)
	assert.True(t, k.ShouldAsk(g))
}

func TestForbiddenPausesOneGuestTypeAndKeepsItsProblem(t *testing.T) {
	k := NewGuests(time.Hour, 1)
	k.StartCycle()
	pr := problems.Problem{Kind: problems.KindAgentPrivilege, Err: errors.New("403")}
	k.Forbidden("qemu", "address-forbidden qemu", pr)
	k.StartCycle()
	assert.False(t, k.ShouldAsk(vm("qemu/100", 1)))
	assert.True(t, k.ShouldAsk(&pveapi.ClusterResource{ID: "lxc/200", Type: "lxc"}), "containers are asked")
	assert.Equal(t, problems.Set{"address-forbidden qemu": pr}, k.PausedProblems(), "not resolved while paused")
	k.StartCycle()
	assert.True(t, k.ShouldAsk(vm("qemu/100", 1)), "asked again, so that a fixed ACL is noticed")
	assert.Empty(t, k.PausedProblems())
}

func TestAgentCommandsAndTheOSCadence(t *testing.T) {
	k := NewGuests(time.Hour, 3)
	a := k.Agent("qemu/100")
	assert.True(t, a.OSDue(100, t0), "never asked")
	a.OSAt, a.OSUptime = t0, 100
	assert.False(t, a.OSDue(160, t0.Add(time.Minute)))
	assert.True(t, a.OSDue(10, t0.Add(time.Minute)), "restarted")
	assert.True(t, a.OSDue(4000, t0.Add(OSRecheck)), "hourly")

	a.Unsupported("get-osinfo", t0)
	assert.False(t, a.Supports("get-osinfo", 160, t0.Add(time.Minute)))
	assert.True(t, a.Supports("get-fsinfo", 160, t0.Add(time.Minute)))
	assert.True(t, a.Supports("get-osinfo", 160, t0.Add(OSRecheck)), "an agent upgrade is noticed hourly")
	assert.Same(t, a, k.Agent("qemu/100"), "one entry per guest")
}

func TestPruneForgetsEverythingOfAGoneGuest(t *testing.T) {
	k := NewGuests(time.Hour, 3)
	k.Learn(vm("qemu/100", 1), Learnt{Name: "a"}, t0)
	k.Learn(vm("qemu/101", 1), Learnt{Name: "b", Agent: Silent}, t0)
	k.Agent("qemu/101").HostName = "b.example"
	k.Prune([]pveapi.ClusterResource{{ID: "node/pve1", Type: "node"}, {ID: "qemu/100", Type: "qemu"}, {ID: "storage/pve1/local", Type: "storage"}})
	assert.Equal(t, 1, k.Len())
	assert.Equal(t, Last{}, k.Recall("qemu/101", t0))
	assert.True(t, k.ShouldAsk(vm("qemu/101", 1)), "its back-off is gone")
	assert.Empty(t, k.Agent("qemu/101").HostName, "and what its agent said")
	var seen []string
	k.Agents([]string{"qemu/100", "qemu/101", "qemu/102"}, func(id string, _ *Agent) { seen = append(seen, id) })
	assert.Equal(t, []string{"qemu/100", "qemu/101"}, seen, "only guests with an entry")
}

func TestUnansweredTwiceInARow(t *testing.T) {
	k := NewGuests(time.Hour, 3)
	ct := &pveapi.ClusterResource{ID: "lxc/200", Type: "lxc"}
	k.StartCycle()
	assert.False(t, k.Unanswered(ct), "once may be a container that just stopped")
	k.StartCycle()
	assert.True(t, k.Unanswered(ct), "twice in a row")
	k.StartCycle()
	k.StartCycle()
	assert.False(t, k.Unanswered(ct), "a cycle with an answer in between starts again")
	assert.False(t, k.Unanswered(&pveapi.ClusterResource{ID: "lxc/201", Type: "lxc"}), "per guest")
}
