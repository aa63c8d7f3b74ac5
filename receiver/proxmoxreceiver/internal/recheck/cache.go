// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// Cache keeps the last good answer of each node and decides when each node
// is asked again. It serves the disks (/disks/list): Proxmox runs smartctl on
// every disk for that call, so a node is asked only every
// disk_refresh_interval and its last answer is re-emitted in between.
//
// A failed request is retried with exponential back-off rather than at every
// collection: first after one collection interval (at least a minute), then
// twice as long each time, never longer than the refresh interval. A good
// answer resets the back-off. The last good answer is re-emitted for at most
// twice the refresh period (staleBound); past that its health is no longer
// trusted (see View.Stale).
//
// Times are collection start times and are compared rounded to the nearest
// collection (slack): collections are one interval apart give or take
// scheduling jitter, and a retry due "in one minute" must not slip to the
// collection after next because the next one started a millisecond early.
type Cache[T any] struct {
	refresh    time.Duration // disk_refresh_interval
	firstRetry time.Duration // delay of the first retry after a failure
	staleBound time.Duration // age past which the last answer's health is unknown
	slack      time.Duration // half a collection interval

	mu    sync.Mutex
	nodes map[string]*cacheState[T]
}

// cacheState is what the cache knows about one node.
type cacheState[T any] struct {
	answer   T
	fetched  time.Time // collection of the last good answer; zero: none yet
	next     time.Time // when the node is due again
	failures int       // failed requests since the last good answer
	lastErr  error     // error of the last failed request, while failures > 0
}

// View is what one collection reports of one node's answer.
type View[T any] struct {
	// Answer is the last good answer (the zero T when there was none).
	Answer T
	// Fetched is the start of the collection that got that answer; zero
	// when the node has not answered since it came online.
	Fetched time.Time
	// Stale is set past the bound: the answer is too old for its SMART
	// readings (health, life remaining) to be reported as current.
	Stale bool
}

// minFirstRetry is the shortest delay before a failed request is asked
// again, whatever the collection interval.
const minFirstRetry = time.Minute

// NewCache returns a cache for the given refresh interval
// (disk_refresh_interval) and metrics collection interval.
func NewCache[T any](refresh, interval time.Duration) *Cache[T] {
	// Disks cannot be asked more often than collections happen, so a refresh
	// shorter than the interval is effectively one interval: with
	// disk_refresh_interval 0 one failed collection still re-emits the last
	// answer, two in a row do not.
	period := max(refresh, interval)
	return &Cache[T]{
		refresh:    refresh,
		firstRetry: max(interval, minFirstRetry),
		staleBound: doubled(period),
		slack:      max(interval, 0) / 2,
		nodes:      map[string]*cacheState[T]{},
	}
}

// doubled is 2d, saturating instead of overflowing for absurd settings.
func doubled(d time.Duration) time.Duration {
	if d > math.MaxInt64/2 {
		return math.MaxInt64
	}
	return 2 * d
}

// reached reports whether the collection at now is the one nearest to t, or later.
func (c *Cache[T]) reached(now, t time.Time) bool {
	return !now.Before(t.Add(-c.slack))
}

// backoff is the delay after the n-th failed request in a row (n ≥ 1).
func (c *Cache[T]) backoff(n int) time.Duration {
	d := c.firstRetry
	for i := 1; i < n && d < c.refresh; i++ {
		d = doubled(d)
	}
	return min(d, c.refresh)
}

// Due reports whether node should be asked in the collection at now.
func (c *Cache[T]) Due(node string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.nodes[node]
	return !ok || c.reached(now, st.next)
}

// Succeeded stores a good answer asked for in the collection at now and
// resets the back-off.
func (c *Cache[T]) Succeeded(node string, answer T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodes[node] = &cacheState[T]{answer: answer, fetched: now, next: now.Add(c.refresh)}
}

// Failed records a failed request of the collection at now: the last good
// answer is kept and the node is asked again after the back-off.
func (c *Cache[T]) Failed(node string, err error, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.nodes[node]
	if !ok {
		st = &cacheState[T]{}
		c.nodes[node] = st
	}
	st.failures++
	st.lastErr = err
	st.next = now.Add(c.backoff(st.failures))
}

// Pending is the error of node's last request while it is failing (nil
// otherwise): collections that skip the request during the back-off still
// report the problem, so it is not logged as resolved until a retry succeeds.
func (c *Cache[T]) Pending(node string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.nodes[node]; ok && st.failures > 0 {
		return st.lastErr
	}
	return nil
}

// View is what the collection at now reports for node.
func (c *Cache[T]) View(node string, now time.Time) View[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.nodes[node]
	if !ok || st.fetched.IsZero() {
		return View[T]{}
	}
	return View[T]{
		Answer:  st.answer,
		Fetched: st.fetched,
		Stale:   now.Sub(st.fetched)-c.slack > c.staleBound,
	}
}

// ForgetAllBut drops nodes that are no longer online, with their answer and
// back-off, so their answers are not re-emitted and are asked for afresh
// when the node returns.
func (c *Cache[T]) ForgetAllBut(online []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.DeleteFunc(c.nodes, func(node string, _ *cacheState[T]) bool { return !slices.Contains(online, node) })
}
