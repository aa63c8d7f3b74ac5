// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// Log logs each distinct problem once when it appears and once when it
// clears, instead of at every collection: a node that stays down for a day
// must not fill the log. It also holds the problems active now, which the
// metrics collection reports as mnm.proxmox.problem.
type Log struct {
	logger *zap.Logger
	mu     sync.Mutex
	active map[string]Set // by scope (metrics, inventory)
	// cleared remembers problems that cleared, by labels, so that they are
	// reported as 0 for a while: a series that just stops would linger at 1
	// in a pull exporter for its metric_expiration (5m by default).
	cleared map[Labels]clearedProblem
}

type clearedProblem struct {
	pr Problem
	at time.Time
}

// ClearedFor is how long a cleared problem is reported as 0: longer than the
// Prometheus exporter's default metric_expiration.
const ClearedFor = 10 * time.Minute

// New returns a Log that logs to logger.
func New(logger *zap.Logger) *Log {
	return &Log{logger: logger, active: map[string]Set{}, cleared: map[Labels]clearedProblem{}}
}

// Update compares the problems of one collection of scope (metrics or
// inventory) with the previous one and logs what appeared and what cleared.
func (l *Log) Update(scope string, current Set, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	previous := l.active[scope]
	for key, pr := range current {
		if _, known := previous[key]; !known {
			l.logger.Warn("Proxmox problem", zap.String("collection", scope), zap.String("problem", key), zap.String("kind", pr.Kind), zap.Error(pr.Err))
		}
	}
	for key, pr := range previous {
		if _, still := current[key]; !still {
			l.logger.Info("Proxmox problem resolved", zap.String("collection", scope), zap.String("problem", key), zap.String("kind", pr.Kind), zap.String("was", pr.Err.Error()))
			l.cleared[pr.Labels()] = clearedProblem{pr: pr, at: now}
		}
	}
	l.active[scope] = current
}

// Current returns the problems active now in every scope, one per label
// set, and those that cleared within ClearedFor (to be reported as 0).
func (l *Log) Current(now time.Time) (active, cleared []Problem) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[Labels]bool{}
	for _, scope := range l.active {
		for _, pr := range scope {
			if !seen[pr.Labels()] {
				seen[pr.Labels()] = true
				active = append(active, pr)
			}
		}
	}
	for key, c := range l.cleared {
		switch {
		case seen[key]: // back again
			delete(l.cleared, key)
		case now.Sub(c.at) > ClearedFor:
			delete(l.cleared, key)
		default:
			cleared = append(cleared, c.pr)
		}
	}
	return active, cleared
}
