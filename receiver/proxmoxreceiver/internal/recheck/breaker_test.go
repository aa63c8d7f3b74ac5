// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// configClient answers GuestConfig by node; the other methods are not used.
type configClient struct {
	pveapi.Client
	mu      sync.Mutex
	calls   map[string]int
	answers map[string]func(ctx context.Context) error
}

func (c *configClient) GuestConfig(ctx context.Context, node, _ string, _ int64) (pveapi.GuestConfig, error) {
	c.mu.Lock()
	c.calls[node]++
	answer := c.answers[node]
	c.mu.Unlock()
	return pveapi.GuestConfig{}, answer(ctx)
}

func TestGuardStopsANodeAtItsFirstFailureOnly(t *testing.T) {
	timeout := fmt.Errorf("%w: GET /nodes/pve2/qemu/100/config: no answer", pveapi.ErrUnreachable)
	forbidden := &pveapi.APIError{Path: "/nodes/pve3/qemu/100/config", Status: 403, Message: "Permission check failed"}
	fake := &configClient{calls: map[string]int{}, answers: map[string]func(context.Context) error{
		"pve1": func(context.Context) error { return nil },
		"pve2": func(context.Context) error { return timeout },
		"pve3": func(context.Context) error { return forbidden },
	}}
	b := NewNodeBreaker(context.Background())
	defer b.Close()
	client := b.Guard(fake)

	_, err := client.GuestConfig(context.Background(), "pve2", "qemu", 100)
	require.ErrorIs(t, err, ErrNodeStopped, "the failure that opened the circuit is the node's")
	require.ErrorIs(t, err, pveapi.ErrUnreachable, "and still says what it was")
	_, err = client.GuestConfig(context.Background(), "pve2", "qemu", 101)
	require.ErrorIs(t, err, ErrNodeStopped)
	assert.Equal(t, 1, fake.calls["pve2"], "nothing more is sent to a stopped node")
	assert.Equal(t, map[string]error{"pve2": timeout}, b.Opened())

	_, err = client.GuestConfig(context.Background(), "pve3", "qemu", 100)
	assert.NotErrorIs(t, err, ErrNodeStopped, "an answer is the request's own")
	_, err = client.GuestConfig(context.Background(), "pve1", "qemu", 100)
	assert.NoError(t, err)
	assert.NotContains(t, b.Opened(), "pve3")

}

type ctxKey struct{}

func TestGuardCancelsTheRequestsInFlightWhenTheirNodeFails(t *testing.T) {
	timeout := fmt.Errorf("%w: no answer", pveapi.ErrUnreachable)
	cycle := context.Background()
	for name, callerCtx := range map[string]context.Context{
		"the cycle's context":           cycle,
		"a context of the caller's own": context.WithValue(cycle, ctxKey{}, 1),
	} {
		t.Run(name, func(t *testing.T) {
			inFlight := make(chan struct{})
			fake := &configClient{calls: map[string]int{}, answers: map[string]func(context.Context) error{
				"pve4": func(ctx context.Context) error { close(inFlight); <-ctx.Done(); return context.Cause(ctx) },
			}}
			b := NewNodeBreaker(cycle)
			defer b.Close()
			done := make(chan error)
			go func() {
				_, err := b.Guard(fake).GuestConfig(callerCtx, "pve4", "qemu", 100)
				done <- err
			}()
			<-inFlight
			b.Observe("pve4", timeout)
			err := <-done
			assert.ErrorIs(t, err, ErrNodeStopped)
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

func TestGuardKeepsTheCallersContext(t *testing.T) {
	fake := &configClient{calls: map[string]int{}, answers: map[string]func(context.Context) error{
		"pve1": func(ctx context.Context) error { return ctx.Err() },
	}}
	b := NewNodeBreaker(context.Background())
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Guard(fake).GuestConfig(ctx, "pve1", "qemu", 100)
	assert.True(t, errors.Is(err, context.Canceled))
	assert.Empty(t, b.Opened(), "the caller's own end is not the node's failure")
}
