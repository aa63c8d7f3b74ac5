// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

var (
	errDisks  = errors.New("smartctl timed out")
	someDisks = []pveapi.Disk{{DevPath: "/dev/sda", Health: "PASSED"}}
	cacheT0   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// requestMinutes runs one collection a minute (each started jitter after the
// minute) from minute 0 to last and returns the minutes at which node's disks
// were due; answer says whether that request succeeds.
func requestMinutes(c *Cache[[]pveapi.Disk], node string, last int, jitter func(int) time.Duration, answer func(minute int) bool) []int {
	var asked []int
	for m := 0; m <= last; m++ {
		now := cacheT0.Add(time.Duration(m)*time.Minute + jitter(m))
		if !c.Due(node, now) {
			continue
		}
		asked = append(asked, m)
		if answer(m) {
			c.Succeeded(node, someDisks, now)
		} else {
			c.Failed(node, errDisks, now)
		}
	}
	return asked
}

func noJitter(int) time.Duration { return 0 }

func TestDiskCacheBackoffSchedule(t *testing.T) {
	// Defaults: collections every minute, disks refreshed every 30 minutes.
	// The answer at minute 0 is good, then /disks/list fails until minute 100.
	c := NewCache[[]pveapi.Disk](30*time.Minute, time.Minute)
	asked := requestMinutes(c, "pve1", 200, noJitter, func(m int) bool { return m == 0 || m >= 100 })
	// Due again at 30; then retries 1, 2, 4, 8, 16 minutes apart, capped at
	// 30; at 121 the retry succeeds and the normal cadence resumes.
	assert.Equal(t, []int{0, 30, 31, 33, 37, 45, 61, 91, 121, 151, 181}, asked)
	assert.NoError(t, c.Pending("pve1"), "a good answer clears the failure")

	t.Run("a success resets the back-off", func(t *testing.T) {
		c := NewCache[[]pveapi.Disk](30*time.Minute, time.Minute)
		// Fails at 0, 1 and 3, succeeds at 7, fails again at 37: the first
		// retry after that is one minute later again, not 16.
		asked := requestMinutes(c, "pve1", 40, noJitter, func(m int) bool { return m == 7 })
		assert.Equal(t, []int{0, 1, 3, 7, 37, 38, 40}, asked)
	})

	t.Run("jitter does not skip a collection", func(t *testing.T) {
		// Collections start up to a few hundred milliseconds early or late.
		c := NewCache[[]pveapi.Disk](30*time.Minute, time.Minute)
		jitter := func(m int) time.Duration { return time.Duration((m%3)-1) * 300 * time.Millisecond }
		asked := requestMinutes(c, "pve1", 100, jitter, func(m int) bool { return m == 0 })
		assert.Equal(t, []int{0, 30, 31, 33, 37, 45, 61, 91}, asked)
	})

	t.Run("first retry is at least a minute", func(t *testing.T) {
		c := NewCache[[]pveapi.Disk](30*time.Minute, 10*time.Second)
		var asked []time.Duration
		for s := 0 * time.Second; s <= 8*time.Minute; s += 10 * time.Second {
			now := cacheT0.Add(s)
			if c.Due("pve1", now) {
				asked = append(asked, s)
				c.Failed("pve1", errDisks, now)
			}
		}
		assert.Equal(t, []time.Duration{0, time.Minute, 3 * time.Minute, 7 * time.Minute}, asked)
	})

	t.Run("longer collection interval: first retry at the next collection", func(t *testing.T) {
		c := NewCache[[]pveapi.Disk](time.Hour, 5*time.Minute)
		var asked []int
		for m := 0; m <= 120; m += 5 {
			now := cacheT0.Add(time.Duration(m) * time.Minute)
			if c.Due("pve1", now) {
				asked = append(asked, m)
				c.Failed("pve1", errDisks, now)
			}
		}
		assert.Equal(t, []int{0, 5, 15, 35, 75}, asked, "then 75+60 = 135")
	})

	t.Run("refresh shorter than a retry: every collection", func(t *testing.T) {
		// disk_refresh_interval 0 asks at every collection; so do its retries.
		c := NewCache[[]pveapi.Disk](0, time.Minute)
		asked := requestMinutes(c, "pve1", 5, noJitter, func(m int) bool { return m == 0 })
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, asked)
	})

	t.Run("a node that never answered backs off too", func(t *testing.T) {
		c := NewCache[[]pveapi.Disk](30*time.Minute, time.Minute)
		asked := requestMinutes(c, "pve1", 40, noJitter, func(int) bool { return false })
		assert.Equal(t, []int{0, 1, 3, 7, 15, 31}, asked)
		assert.Equal(t, View[[]pveapi.Disk]{}, c.View("pve1", cacheT0.Add(40*time.Minute)), "nothing to report, no age")
		assert.ErrorIs(t, c.Pending("pve1"), errDisks)
	})
}

func TestDiskCacheNodesAreIndependent(t *testing.T) {
	c := NewCache[[]pveapi.Disk](30*time.Minute, time.Minute)
	c.Succeeded("pve1", someDisks, cacheT0)
	c.Succeeded("pve2", someDisks, cacheT0)
	at := func(m int) time.Time { return cacheT0.Add(time.Duration(m) * time.Minute) }

	c.Failed("pve1", errDisks, at(30))
	assert.True(t, c.Due("pve2", at(30)), "pve1's failure must not delay pve2")
	c.Succeeded("pve2", someDisks, at(30))
	assert.True(t, c.Due("pve1", at(31)))
	assert.False(t, c.Due("pve2", at(31)))
	assert.ErrorIs(t, c.Pending("pve1"), errDisks)
	assert.NoError(t, c.Pending("pve2"))

	// Past the bound pve1 is stale, pve2 (refreshed at 30) is not.
	assert.True(t, c.View("pve1", at(61)).Stale)
	assert.False(t, c.View("pve2", at(61)).Stale)
}

func TestDiskCacheStaleBound(t *testing.T) {
	c := NewCache[[]pveapi.Disk](30*time.Minute, time.Minute)
	c.Succeeded("pve1", someDisks, cacheT0)
	for m := 30; m <= 90; m++ {
		now := cacheT0.Add(time.Duration(m) * time.Minute)
		if c.Due("pve1", now) {
			c.Failed("pve1", errDisks, now)
		}
		v := c.View("pve1", now)
		require.Equal(t, someDisks, v.Answer, "the last good answer is kept")
		assert.Equal(t, cacheT0, v.Fetched)
		// Twice the refresh interval: one hour, then no longer.
		assert.Equal(t, m > 60, v.Stale, "minute %d", m)
	}

	t.Run("collection jitter at the bound", func(t *testing.T) {
		now := cacheT0.Add(time.Hour + 400*time.Millisecond)
		assert.False(t, c.View("pve1", now).Stale, "the collection nearest the bound still shows the answer")
	})

	t.Run("refresh 0: one failed collection is tolerated, two are not", func(t *testing.T) {
		c := NewCache[[]pveapi.Disk](0, time.Minute)
		c.Succeeded("pve1", someDisks, cacheT0)
		assert.False(t, c.View("pve1", cacheT0.Add(time.Minute)).Stale)
		assert.False(t, c.View("pve1", cacheT0.Add(2*time.Minute)).Stale)
		assert.True(t, c.View("pve1", cacheT0.Add(3*time.Minute)).Stale)
	})
}

func TestDiskCacheForgetsOfflineNodes(t *testing.T) {
	c := NewCache[[]pveapi.Disk](30*time.Minute, time.Minute)
	c.Succeeded("pve1", someDisks, cacheT0)
	c.Succeeded("pve2", someDisks, cacheT0)
	c.Failed("pve2", errDisks, cacheT0.Add(30*time.Minute))
	c.Failed("pve2", errDisks, cacheT0.Add(31*time.Minute))
	assert.False(t, c.Due("pve2", cacheT0.Add(32*time.Minute)))

	c.ForgetAllBut([]string{"pve1"})
	assert.Equal(t, View[[]pveapi.Disk]{}, c.View("pve2", cacheT0.Add(32*time.Minute)), "an offline node's disks are not re-emitted")
	assert.NoError(t, c.Pending("pve2"))
	assert.True(t, c.Due("pve2", cacheT0.Add(32*time.Minute)), "a returning node is asked at once, back-off forgotten")
	assert.Equal(t, someDisks, c.View("pve1", cacheT0.Add(32*time.Minute)).Answer)
}

func TestDiskCacheBackoffSaturates(t *testing.T) {
	c := NewCache[[]pveapi.Disk](time.Duration(1<<62), time.Minute)
	assert.Equal(t, time.Duration(1<<62), c.backoff(1000))
	assert.Positive(t, c.staleBound)
}
