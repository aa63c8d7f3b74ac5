// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package sharedcomponent

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type counting struct {
	starts, shutdowns int
	startErr          error
}

func (c *counting) Start(context.Context, component.Host) error {
	if c.startErr != nil {
		return c.startErr
	}
	c.starts++
	return nil
}

func (c *counting) Shutdown(context.Context) error {
	c.shutdowns++
	return nil
}

func TestOneComponentPerKeyStartedOnceStoppedByTheLast(t *testing.T) {
	m := NewMap[string, *counting]()
	made := 0
	create := func() *counting { made++; return &counting{} }
	a := m.LoadOrStore("cfg", create)
	b := m.LoadOrStore("cfg", create)
	other := m.LoadOrStore("other", create)
	assert.Equal(t, 2, made)
	assert.Same(t, a.Unwrap(), b.Unwrap())
	assert.Equal(t, 2, m.Len())

	ctx, host := context.Background(), componenttest.NewNopHost()
	require.NoError(t, a.Start(ctx, host))
	require.NoError(t, a.Start(ctx, host), "a second start is safe")
	require.NoError(t, b.Start(ctx, host))
	assert.Equal(t, 1, a.Unwrap().starts)

	require.NoError(t, a.Shutdown(ctx))
	require.NoError(t, a.Shutdown(ctx))
	assert.Zero(t, b.Unwrap().shutdowns, "it lives while one handle still runs")
	require.NoError(t, b.Start(ctx, host))
	require.NoError(t, b.Shutdown(ctx))
	assert.Equal(t, 1, b.Unwrap().shutdowns)
	assert.Equal(t, 1, m.Len(), "the released key is forgotten")
	require.NoError(t, a.Start(ctx, host), "a released handle does not start again")
	assert.Equal(t, 1, a.Unwrap().starts)

	// Created and released without a start: forgotten, never shut down.
	require.NoError(t, other.Shutdown(ctx))
	assert.Zero(t, other.Unwrap().shutdowns)
	assert.Zero(t, m.Len())

	// A restarted pipeline gets a new component.
	again := m.LoadOrStore("cfg", create)
	assert.NotSame(t, a.Unwrap(), again.Unwrap())
	require.NoError(t, again.Shutdown(ctx))
}

func TestFailedStartIsNotCountedAndIsTriedAgain(t *testing.T) {
	m := NewMap[string, *counting]()
	h := m.LoadOrStore("cfg", func() *counting { return &counting{startErr: errors.New("bad tls")} })
	ctx := context.Background()
	require.ErrorContains(t, h.Start(ctx, componenttest.NewNopHost()), "bad tls")
	h.Unwrap().startErr = nil
	require.NoError(t, h.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, h.Shutdown(ctx))
	assert.Equal(t, 1, h.Unwrap().shutdowns)
	assert.Zero(t, m.Len())
}
