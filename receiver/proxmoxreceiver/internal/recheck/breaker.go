// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"context"
	"errors"
	"sync"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// NodeBreaker gives up on a node for the rest of an inventory cycle at its
// first timeout or transport failure. A hung node (a stuck NFS mount or
// pvestatd) would otherwise cost every one of its guests a full request
// timeout, a few at a time, and hold the whole cycle: the first failure
// cancels the node's requests in flight and in the queue, and its guests keep
// their last known records.
type NodeBreaker struct {
	cycle context.Context

	mu    sync.Mutex
	nodes map[string]*nodeCircuit
}

type nodeCircuit struct {
	ctx    context.Context
	cancel context.CancelFunc
	err    error // the failure that opened it; nil while closed
}

// NewNodeBreaker returns the breaker of one inventory cycle, whose context
// bounds every node's.
func NewNodeBreaker(cycle context.Context) *NodeBreaker {
	return &NodeBreaker{cycle: cycle, nodes: map[string]*nodeCircuit{}}
}

func (b *NodeBreaker) circuit(node string) *nodeCircuit {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.nodes[node]
	if !ok {
		c = &nodeCircuit{}
		c.ctx, c.cancel = context.WithCancel(b.cycle)
		b.nodes[node] = c
	}
	return c
}

// Ctx is the context of node's requests: cancelled when the node fails.
func (b *NodeBreaker) Ctx(node string) context.Context {
	return b.circuit(node).ctx
}

// Open reports the failure that stopped node's requests, or nil.
func (b *NodeBreaker) Open(node string) error {
	c := b.circuit(node)
	b.mu.Lock()
	defer b.mu.Unlock()
	return c.err
}

// Observe looks at a failed request to node and opens its circuit when the
// failure is the node's: a timeout or transport failure, or Proxmox's own
// "node unreachable" (595/596). It returns true when this failure opened it.
// Failures caused by the cycle's own deadline or cancellation, or by the
// circuit having opened already, are not the node's.
func (b *NodeBreaker) Observe(node string, err error) bool {
	if b.cycle.Err() != nil || !(errors.Is(err, pveapi.ErrUnreachable) || errors.Is(err, pveapi.ErrNodeUnreachable)) {
		return false
	}
	c := b.circuit(node)
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.err != nil {
		return false
	}
	c.err = err
	c.cancel()
	return true
}

// Opened returns every node whose circuit opened in this cycle.
func (b *NodeBreaker) Opened() map[string]error {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]error{}
	for node, c := range b.nodes {
		if c.err != nil {
			out[node] = c.err
		}
	}
	return out
}

// Close releases the cycle's node contexts.
func (b *NodeBreaker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.nodes {
		c.cancel()
	}
}
