// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"context"
	"sync"
)

// Priority orders requests that wait for the same node.
type Priority int

const (
	// Foreground requests (the metrics collection, which the dashboards wait
	// for) get a node's free slot before any background request.
	Foreground Priority = iota
	// Background requests (the inventory) take what foreground ones leave.
	Background
)

type priorityKey struct{}

// WithPriority marks every request made with ctx.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

func priorityOf(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok && p == Background {
		return Background
	}
	return Foreground
}

// requestLimiter bounds requests in flight per Proxmox node, and optionally
// overall. Every node serves its own /nodes/{node}/... requests with 3
// pveproxy workers, so total parallelism grows with the cluster while no node
// is swamped. Cluster-wide paths count against the node the endpoint names ("").
//
// A freed slot goes to a waiting foreground request first, so that a metrics
// collection never queues behind an inventory cycle's hundreds of per-guest
// requests; the per-node total stays the same.
type requestLimiter struct {
	perNode int
	global  chan struct{}

	mu    sync.Mutex
	nodes map[string]*nodeSlots
}

type nodeSlots struct {
	inUse   int
	waiting [2][]chan struct{} // by Priority, oldest first
}

func newRequestLimiter(perNode, overall int) *requestLimiter {
	l := &requestLimiter{perNode: perNode, nodes: map[string]*nodeSlots{}}
	if overall > 0 {
		l.global = make(chan struct{}, overall)
	}
	return l
}

// acquire waits for a slot of node (and an overall one) and returns the
// function that frees them.
func (l *requestLimiter) acquire(ctx context.Context, node string) (func(), error) {
	if err := l.acquireNode(ctx, node, priorityOf(ctx)); err != nil {
		return nil, err
	}
	if l.global == nil {
		return func() { l.releaseNode(node) }, nil
	}
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		l.releaseNode(node)
		return nil, ctx.Err()
	}
	return func() { <-l.global; l.releaseNode(node) }, nil
}

func (l *requestLimiter) acquireNode(ctx context.Context, node string, p Priority) error {
	l.mu.Lock()
	n, ok := l.nodes[node]
	if !ok {
		n = &nodeSlots{}
		l.nodes[node] = n
	}
	// A request never overtakes a waiting one of its own or a higher priority.
	if n.inUse < l.perNode && len(n.waiting[Foreground]) == 0 && (p == Foreground || len(n.waiting[Background]) == 0) {
		n.inUse++
		l.mu.Unlock()
		return nil
	}
	granted := make(chan struct{})
	n.waiting[p] = append(n.waiting[p], granted)
	l.mu.Unlock()

	select {
	case <-granted:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, ch := range n.waiting[p] {
			if ch == granted {
				n.waiting[p] = append(n.waiting[p][:i], n.waiting[p][i+1:]...)
				return ctx.Err()
			}
		}
		// Granted meanwhile: hand the slot on.
		l.handOnLocked(n)
		return ctx.Err()
	}
}

func (l *requestLimiter) releaseNode(node string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handOnLocked(l.nodes[node])
}

// handOnLocked passes a finished request's slot to the next waiting request,
// foreground first, or frees it.
func (l *requestLimiter) handOnLocked(n *nodeSlots) {
	for p := range n.waiting {
		if len(n.waiting[p]) > 0 {
			next := n.waiting[p][0]
			n.waiting[p] = n.waiting[p][1:]
			close(next)
			return
		}
	}
	n.inUse--
}
