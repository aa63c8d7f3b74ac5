// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

func TestParseFlagsShape(t *testing.T) {
	env := func(string) string { return "" }

	// every shape as it is, apart from the token the flags always fill in
	for _, sh := range pvesim.Shapes() {
		o, err := parseFlags([]string{"-shape", sh.Name}, env, io.Discard)
		require.NoError(t, err, sh.Name)
		want := sh.Config
		want.TokenID = pvesim.DefaultTokenID
		assert.Equal(t, want, o.cfg, sh.Name)
		assert.Equal(t, sh.Name, o.shape)
	}

	// the other flags override the shape's settings, in any order
	o, err := parseFlags([]string{"-seed", "5", "-shape", "pve8.0", "-guests", "40", "-pve-version", "8.4", "-workers", "3"}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, pvesim.Version84, o.cfg.Version)
	assert.Equal(t, int64(5), o.cfg.Seed)
	assert.Equal(t, 40, o.cfg.Guests)
	assert.Equal(t, 3, o.cfg.WorkersPerNode)
	assert.True(t, o.cfg.SDNAbsent, "kept from the shape")
	assert.True(t, o.cfg.CephNotInitialized, "kept from the shape")

	// without -operations the shape's operations settings lapse
	o, err = parseFlags([]string{"-shape", "pve7.4", "-operations=false"}, env, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.cfg.Operations)
	assert.False(t, o.cfg.CephAbsent)
	assert.False(t, o.cfg.HAAbsent)
	assert.True(t, o.cfg.OperationsTime.IsZero())
	assert.True(t, o.cfg.SDNAbsent)

	for _, bad := range [][]string{
		{"-shape", "pve8"},
		{"-shape", "pve9-standalone", "-nodes", "3"},
		{"-shape", "pve7.4", "-sdn"},
		{"-sdn", "-sdn-absent"},
		{"-standalone", "-nodes", "2"},
		{"-ceph-not-initialized"},
		{"-pve-version", "8.2"},
	} {
		_, err := parseFlags(bad, env, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
}

func TestParseFlagsVersionsAndSwitches(t *testing.T) {
	env := func(string) string { return "" }
	for in, want := range map[string]string{"7.4": pvesim.Version7, "7": pvesim.Version7, "8.0": pvesim.Version80,
		"8.0.4": pvesim.Version80, "8.4": pvesim.Version84, "8.4.1": pvesim.Version84, "9": pvesim.Version9} {
		o, err := parseFlags([]string{"-pve-version", in}, env, io.Discard)
		require.NoError(t, err, in)
		assert.Equal(t, want, o.cfg.Version, in)
	}

	o, err := parseFlags(nil, env, io.Discard)
	require.NoError(t, err)
	assert.Empty(t, o.shape)
	assert.False(t, o.cfg.SDNAbsent, "off by default, like pvesim.Config")
	assert.False(t, o.cfg.CephNotInitialized)
	assert.False(t, o.cfg.Standalone)
	assert.False(t, o.cfg.NoSubscription)
	assert.False(t, o.cfg.ZFSAbsent)
	assert.Equal(t, pvesim.DefaultNodes, o.cfg.Nodes)

	o, err = parseFlags([]string{"-sdn-absent", "-standalone", "-no-subscription", "-zfs-absent", "-operations",
		"-ceph-not-initialized", "-operations-time", "2026-03-02T09:30:00Z"}, env, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.cfg.SDNAbsent)
	assert.True(t, o.cfg.Standalone)
	assert.Equal(t, 1, o.cfg.Nodes, "-standalone is one node")
	assert.True(t, o.cfg.NoSubscription)
	assert.True(t, o.cfg.ZFSAbsent)
	assert.True(t, o.cfg.CephNotInitialized)
	assert.Equal(t, time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), o.cfg.OperationsTime)
}
