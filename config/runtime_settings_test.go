// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package config_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

const (
	unitPath        = "../packaging/otelcol-mnm.service"
	settingsPath    = "../packaging/otelcol-mnm.conf"
	shippedConfPath = "otelcol-mnm.yaml"
)

// TestServiceMemorySettings keeps the Go runtime settings the service starts
// the Collector with consistent with the shipped configuration: the soft
// memory limit must lie below the point where the memory_limiter processor
// starts refusing data (limit_mib - spike_limit_mib), so that the GC works
// harder before any collection is dropped. Without it, 10,000 guests made
// the memory_limiter refuse data (docs/performance.md).
func TestServiceMemorySettings(t *testing.T) {
	unit, err := os.ReadFile(unitPath)
	require.NoError(t, err)
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^Environment=(GO[A-Z]+)=(\S+)$`).FindAllStringSubmatch(string(unit), -1) {
		env[m[1]] = m[2]
	}
	require.Contains(t, env, "GOGC", "%s sets no GOGC", unitPath)
	require.Contains(t, env, "GOMEMLIMIT", "%s sets no GOMEMLIMIT", unitPath)

	gogc, err := strconv.Atoi(env["GOGC"])
	require.NoError(t, err, "GOGC=%s in %s", env["GOGC"], unitPath)
	assert.True(t, gogc >= 10 && gogc <= 100, "GOGC=%d: below 10 the GC runs all the time, above 100 it saves nothing", gogc)

	limit, err := parseGoMemLimit(env["GOMEMLIMIT"])
	require.NoError(t, err, "GOMEMLIMIT=%s in %s", env["GOMEMLIMIT"], unitPath)
	conf, err := confmaptest.LoadConf(shippedConfPath)
	require.NoError(t, err)
	limitMiB, ok := conf.Get("processors::memory_limiter::limit_mib").(int)
	require.True(t, ok, "%s: processors::memory_limiter::limit_mib", shippedConfPath)
	spikeMiB, ok := conf.Get("processors::memory_limiter::spike_limit_mib").(int)
	require.True(t, ok, "%s: processors::memory_limiter::spike_limit_mib", shippedConfPath)
	softLimit := int64(limitMiB-spikeMiB) << 20
	assert.Less(t, limit, softLimit, "GOMEMLIMIT=%s must stay below the memory_limiter's soft limit of %d MiB", env["GOMEMLIMIT"], limitMiB-spikeMiB)
	// The Go runtime and the rest of the process need room outside the heap.
	assert.Greater(t, limit, int64(64)<<20, "GOMEMLIMIT=%s leaves the heap too little room", env["GOMEMLIMIT"])

	// The settings file shows the defaults it overrides.
	settings, err := os.ReadFile(settingsPath)
	require.NoError(t, err)
	for name, value := range env {
		assert.Regexp(t, `(?m)^#`+name+`=`+regexp.QuoteMeta(value)+`$`, string(settings), "%s shows %s's default", settingsPath, name)
	}
}

// parseGoMemLimit reads GOMEMLIMIT as the Go runtime does: a number of bytes
// with an optional B, KiB, MiB, GiB or TiB suffix.
func parseGoMemLimit(s string) (int64, error) {
	m := regexp.MustCompile(`^([0-9]+)(B|KiB|MiB|GiB|TiB)?$`).FindStringSubmatch(s)
	if m == nil {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, err
	}
	shift := map[string]uint{"": 0, "B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}[m[2]]
	return n << shift, nil
}
