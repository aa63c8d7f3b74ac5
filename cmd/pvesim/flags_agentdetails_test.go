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

func TestParseFlagsGuestAgentDetails(t *testing.T) {
	env := func(string) string { return "" }
	o, err := parseFlags(nil, env, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.cfg.GuestAgentDetails, "off by default, like pvesim.Config")
	assert.False(t, o.cfg.FullFilesystem)
	for _, g := range pvesim.New(o.cfg).Cluster().Guests {
		assert.Empty(t, g.Filesystems, "guest %d", g.VMID)
		assert.Nil(t, g.OS, "guest %d", g.VMID)
	}

	o, err = parseFlags([]string{"-guest-agent-details"}, env, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.cfg.GuestAgentDetails)
	assert.False(t, o.cfg.FullFilesystem)
	fs, full := 0, 0
	for _, g := range pvesim.New(o.cfg).Cluster().Guests {
		fs += len(g.Filesystems)
		full += fullFilesystems(g)
	}
	assert.Positive(t, fs)
	assert.Zero(t, full, "no filesystem above 90 % without -full-filesystem")

	o, err = parseFlags([]string{"-guest-agent-details", "-full-filesystem"}, env, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.cfg.FullFilesystem)
	full = 0
	for _, g := range pvesim.New(o.cfg).Cluster().Guests {
		full += fullFilesystems(g)
	}
	assert.Positive(t, full)

	_, err = parseFlags([]string{"-full-filesystem"}, env, io.Discard)
	require.ErrorContains(t, err, "-full-filesystem needs -guest-agent-details")
	o, err = parseFlags([]string{"-full-filesystem=false"}, env, io.Discard)
	require.NoError(t, err, "turning it off needs nothing")
	assert.False(t, o.cfg.FullFilesystem)
}

// fullFilesystems counts g's filesystems above 90 % used, loop devices
// (used == total by nature) left out.
func fullFilesystems(g pvesim.Guest) int {
	n := 0
	for _, f := range g.Filesystems {
		if used, total, ok := f.Used(); ok && f.Type != "squashfs" && used*10 > total*9 {
			n++
		}
	}
	return n
}
