// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlagsOperations(t *testing.T) {
	env := func(string) string { return "" }
	o, err := parseFlags(nil, env, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.cfg.Operations, "off by default, like pvesim.Config")
	assert.False(t, o.cfg.CephAbsent)
	assert.False(t, o.cfg.HAAbsent)
	assert.True(t, o.cfg.OperationsTime.IsZero())

	o, err = parseFlags([]string{"-operations", "-ceph-absent", "-ha-absent", "-operations-time", "2025-12-22T12:00:00Z"}, env, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.cfg.Operations)
	assert.True(t, o.cfg.CephAbsent)
	assert.True(t, o.cfg.HAAbsent)
	assert.Equal(t, time.Date(2025, 12, 22, 12, 0, 0, 0, time.UTC), o.cfg.OperationsTime)

	for _, bad := range [][]string{{"-ceph-absent"}, {"-ha-absent"}, {"-operations-time", "2025-12-22T12:00:00Z"}, {"-operations", "-operations-time", "yesterday"}} {
		_, err = parseFlags(bad, env, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
}
