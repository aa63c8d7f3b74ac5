// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"context"
	"sync"
)

// requestLimiter bounds requests in flight per Proxmox node, and optionally
// overall. Every node serves its own /nodes/{node}/... requests with 3
// pveproxy workers, so total parallelism grows with the cluster while no node
// is swamped. Cluster-wide paths count against the node the endpoint names ("").
type requestLimiter struct {
	perNode int
	global  chan struct{}

	mu    sync.Mutex
	nodes map[string]chan struct{}
}

func newRequestLimiter(perNode, overall int) *requestLimiter {
	l := &requestLimiter{perNode: perNode, nodes: map[string]chan struct{}{}}
	if overall > 0 {
		l.global = make(chan struct{}, overall)
	}
	return l
}

func (l *requestLimiter) nodeSlots(node string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	slots, ok := l.nodes[node]
	if !ok {
		slots = make(chan struct{}, l.perNode)
		l.nodes[node] = slots
	}
	return slots
}

// acquire waits for a slot of node (and an overall one) and returns the
// function that frees them.
func (l *requestLimiter) acquire(ctx context.Context, node string) (func(), error) {
	slots := l.nodeSlots(node)
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if l.global == nil {
		return func() { <-slots }, nil
	}
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		<-slots
		return nil, ctx.Err()
	}
	return func() { <-l.global; <-slots }, nil
}
