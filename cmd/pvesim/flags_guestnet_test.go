// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

func TestParseFlagsGuestVLANsAndDuplicateMAC(t *testing.T) {
	env := func(string) string { return "" }
	o, err := parseFlags(nil, env, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.cfg.GuestVLANs, "off by default, like pvesim.Config")
	assert.False(t, o.cfg.DuplicateMAC)
	assert.Empty(t, pvesim.New(o.cfg).Cluster().DuplicateMACs)

	o, err = parseFlags([]string{"-guest-vlans", "-duplicate-mac", "-sdn"}, env, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.cfg.GuestVLANs)
	assert.True(t, o.cfg.DuplicateMAC)
	assert.True(t, o.cfg.SDN)
	c := pvesim.New(o.cfg).Cluster()
	assert.Len(t, c.DuplicateMACs, 1)
	subs := 0
	for _, g := range c.Guests {
		for _, n := range g.NICs {
			subs += len(n.SubInterfaces)
		}
	}
	assert.Positive(t, subs)

	o, err = parseFlags([]string{"-guest-vlans=false", "-duplicate-mac=false"}, env, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.cfg.GuestVLANs)
	assert.False(t, o.cfg.DuplicateMAC)
}
