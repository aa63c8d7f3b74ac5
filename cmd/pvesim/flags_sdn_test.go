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

func TestParseFlagsSDNAndNICGaps(t *testing.T) {
	env := func(string) string { return "" }
	o, err := parseFlags(nil, env, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.cfg.SDN, "SDN is off by default, like pvesim.Config")
	assert.False(t, o.cfg.NICGaps)

	o, err = parseFlags([]string{"-sdn", "-nic-gaps", "-permissions", "auditor-no-sdn"}, env, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.cfg.SDN)
	assert.True(t, o.cfg.NICGaps)
	assert.Equal(t, pvesim.AuditorNoSDN, o.cfg.Permissions)
}
