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
	assert.True(t, a.Due("pve1", now, "7.4-20"))
	a.Absent("pve1", now, "7.4-20")
	assert.False(t, a.Due("pve1", now.Add(time.Minute), "7.4-20"))
	assert.True(t, a.Due("pve1", now.Add(time.Minute), "8.1.4"), "an upgrade may add what was missing")
	a.Absent("pve1", now, "")
	assert.False(t, a.Due("pve1", now.Add(59*time.Minute), ""))
	assert.True(t, a.Due("pve1", now.Add(time.Hour), ""), "asked again after recheck")
	a.ForgetAllBut(nil)
	assert.True(t, a.Due("pve1", now, ""))
}
