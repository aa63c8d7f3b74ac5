// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"sync"
	"time"
)

// Group is a group of requests asked every `every` instead of at every
// metrics collection, whose last answer is reported again in between, like
// the disks: for at most twice its interval, so that an answer Proxmox no
// longer gives is not reported as current for ever.
type Group[T any] struct {
	every time.Duration

	mu     sync.Mutex
	tried  time.Time // last attempt
	at     time.Time // last good answer
	answer T
}

// NewGroup returns a group asked once every `every`.
func NewGroup[T any](every time.Duration) *Group[T] {
	return &Group[T]{every: every}
}

// Due reports whether the group is to be asked in the collection at now;
// the schedule allows half a collection of jitter, so that "every 10m" at a
// 60s cadence is every tenth collection, not every eleventh.
func (g *Group[T]) Due(now time.Time, collection time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tried.IsZero() || now.Sub(g.tried) >= g.every-collection/2
}

// TryAt records an attempt in the collection at now, answered or not.
func (g *Group[T]) TryAt(now time.Time) {
	g.mu.Lock()
	g.tried = now
	g.mu.Unlock()
}

// Store keeps a good answer got in the collection at now.
func (g *Group[T]) Store(answer T, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answer, g.at = answer, now
}

// Current returns the last good answer while it is recent enough.
func (g *Group[T]) Current(now time.Time) (T, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.at.IsZero() || now.Sub(g.at) > 2*g.every {
		var zero T
		return zero, false
	}
	return g.answer, true
}
