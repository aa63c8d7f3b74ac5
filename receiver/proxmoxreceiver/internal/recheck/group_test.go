// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestGroupCadenceAndLastAnswer(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	g := NewGroup[string](10 * time.Minute)

	assert.True(t, g.Due(at(0), time.Minute), "never asked: due")
	_, ok := g.Current(at(0))
	assert.False(t, ok, "no answer yet")
	g.TryAt(at(0))
	g.Store("a", at(0))

	var asked []int
	for m := 1; m <= 30; m++ {
		// Collections start up to half a second early.
		if g.Due(at(m).Add(-500*time.Millisecond), time.Minute) {
			asked = append(asked, m)
			g.TryAt(at(m))
		}
	}
	assert.Equal(t, []int{10, 20, 30}, asked, "every tenth collection, not every eleventh")

	v, ok := g.Current(at(20))
	assert.True(t, ok)
	assert.Equal(t, "a", v, "the last good answer stands in")
	_, ok = g.Current(at(21))
	assert.False(t, ok, "not past twice the interval")
}
