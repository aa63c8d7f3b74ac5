// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package recheck

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAbsencesAreAskedAgainWhenTheVersionChanges(t *testing.T) {
	a := NewAbsences(time.Hour)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	runs := func(v string) func(string) string { return func(string) string { return v } }
	assert.True(t, a.Due("pve1", now, runs("7.4-20")))
	a.Absent("pve1", now, map[string]string{"pve1": "7.4-20"})
	assert.False(t, a.Due("pve1", now.Add(time.Minute), runs("7.4-20")))
	assert.True(t, a.Due("pve1", now.Add(time.Minute), runs("8.1.4")), "an upgrade may add what was missing")
	a.Absent("pve1", now, map[string]string{"pve1": ""})
	assert.False(t, a.Due("pve1", now.Add(59*time.Minute), runs("8.1.4")), "an unknown version is no change")
	assert.True(t, a.Due("pve1", now.Add(time.Hour), runs("")), "asked again after recheck")
	a.Absent("pve1", now, nil)
	a.ForgetAllBut(nil)
	assert.True(t, a.Due("pve1", now, nil))
}

// A cluster feature depends on every node: any one upgraded asks again.
func TestClusterFeatureAbsenceFollowsEveryNode(t *testing.T) {
	a := NewAbsences(time.Hour)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	versions := map[string]string{"pve1": "8.0.3", "pve2": "8.0.3"}
	current := func(node string) string { return versions[node] }
	a.Absent("sdn", now, map[string]string{"pve1": "8.0.3", "pve2": "8.0.3"})
	assert.False(t, a.Due("sdn", now.Add(time.Minute), current))
	versions["pve3"] = "8.4.1" // a node that joined says nothing of the others
	assert.False(t, a.Due("sdn", now.Add(time.Minute), current))
	versions["pve2"] = "8.4.1"
	assert.True(t, a.Due("sdn", now.Add(time.Minute), current))
	assert.True(t, a.Due("sdn", now.Add(time.Minute), current), "forgotten once due")
	a.Absent("ceph", now, nil)
	a.Present("ceph")
	assert.True(t, a.Due("ceph", now, current))
}
