// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimiterBoundsEachNode(t *testing.T) {
	l := newRequestLimiter(2, 0)
	ctx := context.Background()
	r1, err := l.acquire(ctx, "pve1")
	require.NoError(t, err)
	r2, err := l.acquire(ctx, "pve1")
	require.NoError(t, err)
	r3, err := l.acquire(ctx, "pve2")
	require.NoError(t, err, "another node has its own slots")

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = l.acquire(short, "pve1")
	require.ErrorIs(t, err, context.DeadlineExceeded, "a third request to pve1 waits")

	r1()
	r4, err := l.acquire(ctx, "pve1")
	require.NoError(t, err, "a freed slot is usable again, also after a waiter gave up")
	r2()
	r3()
	r4()
	assert.Zero(t, l.nodes["pve1"].inUse)
	assert.Zero(t, l.nodes["pve2"].inUse)
}

func TestLimiterGivesFreedSlotsToForegroundFirst(t *testing.T) {
	l := newRequestLimiter(1, 0)
	bg := WithPriority(context.Background(), Background)
	hold, err := l.acquire(bg, "pve1")
	require.NoError(t, err)

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	start := func(name string, ctx context.Context) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := l.acquire(ctx, "pve1")
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			release()
		}()
	}
	waiters := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		n := l.nodes["pve1"]
		return len(n.waiting[Foreground]) + len(n.waiting[Background])
	}
	// Three inventory requests queue first, then one metrics request.
	for i, name := range []string{"inventory-1", "inventory-2", "inventory-3"} {
		start(name, bg)
		require.Eventually(t, func() bool { return waiters() == i+1 }, time.Second, time.Millisecond)
	}
	start("metrics", context.Background())
	require.Eventually(t, func() bool { return waiters() == 4 }, time.Second, time.Millisecond)

	hold()
	wg.Wait()
	require.Len(t, order, 4)
	assert.Equal(t, "metrics", order[0], "the metrics request overtakes the queued inventory: %v", order)
	assert.Equal(t, []string{"inventory-1", "inventory-2", "inventory-3"}, order[1:], "background requests keep their order")
}

func TestLimiterCancelledWaiterFreesNothingTwice(t *testing.T) {
	l := newRequestLimiter(1, 1)
	hold, err := l.acquire(context.Background(), "pve1")
	require.NoError(t, err)
	for range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			release, err := l.acquire(ctx, "pve1")
			if err == nil {
				release()
			}
			done <- err
		}()
		cancel()
		<-done
	}
	hold()
	release, err := l.acquire(context.Background(), "pve1")
	require.NoError(t, err)
	release()
	assert.Zero(t, l.nodes["pve1"].inUse)
	assert.Empty(t, l.global)
}
