// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/scraper/scrapererror"
)

func TestErrorGate(t *testing.T) {
	var g ErrorGate
	failed := errors.New("token rejected")
	partial := scrapererror.NewPartialScrapeError(errors.New("one node"), 3)
	failedPoints := func(err error) int {
		t.Helper()
		pe, ok := errors.AsType[scrapererror.PartialScrapeError](err)
		require.True(t, ok, "handed on as a partial error, so that up and the problem are kept: %v", err)
		return pe.Failed
	}

	assert.Equal(t, 1, failedPoints(g.Pass(failed, 2)), "before any complete collection: at least one")
	assert.NoError(t, g.Pass(nil, 100))
	assert.Equal(t, 3, failedPoints(g.Pass(partial, 97)), "a partial error keeps its count")
	err := g.Pass(failed, 2)
	assert.Equal(t, 100, failedPoints(err), "a failed collection misses what the last complete one had")
	assert.ErrorContains(t, err, "token rejected")
	assert.Equal(t, 100, failedPoints(g.Pass(failed, 2)), "and so at every failed collection, counted each time")
	assert.NoError(t, g.Pass(nil, 80))
	assert.Equal(t, 80, failedPoints(g.Pass(failed, 2)))
}
