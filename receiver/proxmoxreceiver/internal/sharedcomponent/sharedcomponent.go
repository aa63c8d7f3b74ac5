// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package sharedcomponent lets the receivers that one configuration creates
// for several signals share one component, as the Collector-contrib
// components do with their internal package of the same name (the OTLP
// receiver's one server for traces, metrics and logs). Here every receiver
// holds its own Handle: the shared component is started by the first handle
// started, shut down when the last started one shuts down, and forgotten
// when the last handle is released, started or not, so that a restarted
// pipeline starts afresh and the map never keeps a dead entry.
package sharedcomponent // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/sharedcomponent"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
)

// Map holds the shared components by key (a receiver's *Config).
type Map[K comparable, V component.Component] struct {
	mu      sync.Mutex
	entries map[K]*entry[V]
}

type entry[V component.Component] struct {
	value V

	mu      sync.Mutex
	holders int // handles not released
	started int // of those, handles started
}

// NewMap returns an empty Map.
func NewMap[K comparable, V component.Component]() *Map[K, V] {
	return &Map[K, V]{entries: map[K]*entry[V]{}}
}

// LoadOrStore returns a new handle on key's component, made by create when
// key has none.
func (m *Map[K, V]) LoadOrStore(key K, create func() V) *Handle[K, V] {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		e = &entry[V]{value: create()}
		m.entries[key] = e
	}
	e.mu.Lock()
	e.holders++
	e.mu.Unlock()
	return &Handle[K, V]{m: m, key: key, e: e}
}

// Len is the number of shared components alive.
func (m *Map[K, V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// forget removes key's entry once it has no holder; a handle may have been
// taken meanwhile.
func (m *Map[K, V]) forget(key K, e *entry[V]) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.mu.Lock()
	idle := e.holders == 0
	e.mu.Unlock()
	if idle && m.entries[key] == e {
		delete(m.entries, key)
	}
}

// Handle is one receiver's hold on a shared component. Start and Shutdown
// may each be called any number of times, in any order.
type Handle[K comparable, V component.Component] struct {
	m   *Map[K, V]
	key K
	e   *entry[V]

	mu       sync.Mutex
	started  bool
	released bool
}

// Unwrap returns the shared component.
func (h *Handle[K, V]) Unwrap() V { return h.e.value }

// Start starts the shared component if no other handle has.
func (h *Handle[K, V]) Start(ctx context.Context, host component.Host) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started || h.released {
		return nil
	}
	e := h.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started == 0 {
		if err := e.value.Start(ctx, host); err != nil {
			return err
		}
	}
	e.started++
	h.started = true
	return nil
}

// Shutdown releases the handle: the last started handle shuts the component
// down, the last handle forgets it.
func (h *Handle[K, V]) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return nil
	}
	h.released = true
	e := h.e
	e.mu.Lock()
	var err error
	if h.started {
		e.started--
		if e.started == 0 {
			err = e.value.Shutdown(ctx)
		}
	}
	e.holders--
	last := e.holders == 0
	e.mu.Unlock()
	if last {
		h.m.forget(h.key, e) // outside e.mu: the map locks in the other order
	}
	return err
}
