// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"
)

// problemLog logs each distinct problem once when it appears and once when it
// clears, instead of at every collection: a node that stays down for a day
// must not fill the log. It also holds the problems active now, which the
// metrics collection reports as mnm.proxmox.problem.
type problemLog struct {
	logger *zap.Logger
	mu     sync.Mutex
	active map[string]problems // by scope (metrics, inventory)
	// cleared remembers problems that cleared, by labels, so that they are
	// reported as 0 for a while: a series that just stops would linger at 1
	// in a pull exporter for its metric_expiration (5m by default).
	cleared map[problemLabels]clearedProblem
}

type problemLabels struct{ kind, node, path, privilege string }

type clearedProblem struct {
	pr problem
	at time.Time
}

// clearedFor is how long a cleared problem is reported as 0: longer than the
// Prometheus exporter's default metric_expiration.
const clearedFor = 10 * time.Minute

func newProblemLog(logger *zap.Logger) *problemLog {
	return &problemLog{logger: logger, active: map[string]problems{}, cleared: map[problemLabels]clearedProblem{}}
}

func (p problem) labels() problemLabels { return problemLabels{p.kind, p.node, p.path, p.privilege} }

// problem is one thing that keeps the receiver from reporting everything,
// with bounded labels (never free text) for mnm.proxmox.problem.
type problem struct {
	kind      string // see the problemKind constants
	node      string // the node it is about, or ""
	path      string // the Proxmox path template, or ""
	privilege string // the privilege a 403 names, or ""
	err       error  // what is logged
}

// problems collects the problems of one collection, keyed by what they are
// about (path template, node, reason), so that a changing detail such as a
// timeout's duration does not count as a new problem.
type problems map[string]problem

func (p problems) add(key string, pr problem) {
	if _, seen := p[key]; !seen {
		p[key] = pr
	}
}

// update compares the problems of one collection of scope (metrics or
// inventory) with the previous one and logs what appeared and what cleared.
func (l *problemLog) update(scope string, current problems, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	previous := l.active[scope]
	for key, pr := range current {
		if _, known := previous[key]; !known {
			l.logger.Warn("Proxmox problem", zap.String("collection", scope), zap.String("problem", key), zap.String("kind", pr.kind), zap.Error(pr.err))
		}
	}
	for key, pr := range previous {
		if _, still := current[key]; !still {
			l.logger.Info("Proxmox problem resolved", zap.String("collection", scope), zap.String("problem", key), zap.String("kind", pr.kind), zap.String("was", pr.err.Error()))
			l.cleared[pr.labels()] = clearedProblem{pr: pr, at: now}
		}
	}
	l.active[scope] = current
}

// current returns the problems active now in every scope, one per label
// set, and those that cleared within clearedFor (to be reported as 0).
func (l *problemLog) current(now time.Time) (active, cleared []problem) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[problemLabels]bool{}
	for _, scope := range l.active {
		for _, pr := range scope {
			if !seen[pr.labels()] {
				seen[pr.labels()] = true
				active = append(active, pr)
			}
		}
	}
	for key, c := range l.cleared {
		switch {
		case seen[key]: // back again
			delete(l.cleared, key)
		case now.Sub(c.at) > clearedFor:
			delete(l.cleared, key)
		default:
			cleared = append(cleared, c.pr)
		}
	}
	return active, cleared
}

// errorGate decides what scraperhelper sees of a collection's error.
// scraperhelper logs every error it is handed, at every collection, while the
// problem log has already said each problem once, and mnm.proxmox.problem
// shows it. So a partial error (the collection's data is good and is kept) is
// not handed on, and a failed collection is handed on only the first time in
// a row, as a partial error: the Collector logs and counts it once, and keeps
// what the collection still reports (mnm.proxmox.up 0 and the problem).
type errorGate struct {
	mu      sync.Mutex
	failing bool
}

func (g *errorGate) pass(err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil || scrapererror.IsPartialScrapeError(err) {
		g.failing = false
		return nil
	}
	if g.failing {
		return nil
	}
	g.failing = true
	return scrapererror.NewPartialScrapeError(err, 0)
}
