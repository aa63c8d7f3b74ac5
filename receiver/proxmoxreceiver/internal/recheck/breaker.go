// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// ErrNodeStopped marks a failed request that says nothing of its own: its
// node's circuit is open (this failure opened it, or an earlier one did), or
// the cycle ended. The node's failure is reported once per cycle (Opened),
// not once per request.
var ErrNodeStopped = errors.New("requests to this node stopped for this cycle")

// NodeBreaker gives up on a node for the rest of an inventory cycle at its
// first timeout or transport failure (Guard puts it in front of a client).
// A hung node (a stuck NFS mount or pvestatd) would otherwise cost every one of its guests a full request
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

// Guard returns client with its per-node inventory requests (guest config,
// addresses, agent commands, the node's VM list) going through the breaker:
// none is sent to a node whose circuit is open, each runs within the node's
// context as well as its own, and each failure is observed. The other
// methods are client's own.
func (b *NodeBreaker) Guard(client pveapi.Client) pveapi.Client {
	return guarded{Client: client, b: b}
}

type guarded struct {
	pveapi.Client
	b *NodeBreaker
}

// through sends one request to node through the breaker.
func through[T any](ctx context.Context, b *NodeBreaker, node string, request func(context.Context) (T, error)) (T, error) {
	c := b.circuit(node)
	if err := b.Open(node); err != nil {
		var none T
		return none, fmt.Errorf("%w: %w", ErrNodeStopped, err)
	}
	if ctx == b.cycle {
		ctx = c.ctx // the node's context ends with the cycle's already
	} else {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		defer context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })()
	}
	v, err := request(ctx)
	if err != nil {
		b.Observe(node, err)
		if c.ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ErrNodeStopped, err)
		}
	}
	return v, err
}

func (g guarded) GuestConfig(ctx context.Context, node, kind string, vmid int64) (pveapi.GuestConfig, error) {
	return through(ctx, g.b, node, func(ctx context.Context) (pveapi.GuestConfig, error) {
		return g.Client.GuestConfig(ctx, node, kind, vmid)
	})
}

func (g guarded) AgentInterfaces(ctx context.Context, node string, vmid int64) ([]guestnet.InterfaceAddrs, error) {
	return through(ctx, g.b, node, func(ctx context.Context) ([]guestnet.InterfaceAddrs, error) {
		return g.Client.AgentInterfaces(ctx, node, vmid)
	})
}

func (g guarded) LXCInterfaces(ctx context.Context, node string, vmid int64) ([]guestnet.InterfaceAddrs, error) {
	return through(ctx, g.b, node, func(ctx context.Context) ([]guestnet.InterfaceAddrs, error) {
		return g.Client.LXCInterfaces(ctx, node, vmid)
	})
}

func (g guarded) AgentFSInfo(ctx context.Context, node string, vmid int64) ([]guestnet.Filesystem, error) {
	return through(ctx, g.b, node, func(ctx context.Context) ([]guestnet.Filesystem, error) {
		return g.Client.AgentFSInfo(ctx, node, vmid)
	})
}

func (g guarded) AgentOSInfo(ctx context.Context, node string, vmid int64) (guestnet.OSInfo, error) {
	return through(ctx, g.b, node, func(ctx context.Context) (guestnet.OSInfo, error) {
		return g.Client.AgentOSInfo(ctx, node, vmid)
	})
}

func (g guarded) AgentHostName(ctx context.Context, node string, vmid int64) (string, error) {
	return through(ctx, g.b, node, func(ctx context.Context) (string, error) {
		return g.Client.AgentHostName(ctx, node, vmid)
	})
}

func (g guarded) NodeQemuFull(ctx context.Context, node string) ([]pveapi.QemuStatus, error) {
	return through(ctx, g.b, node, func(ctx context.Context) ([]pveapi.QemuStatus, error) {
		return g.Client.NodeQemuFull(ctx, node)
	})
}
