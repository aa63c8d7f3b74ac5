// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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

// errorGate decides what scraperhelper sees of a collection's error, so
// that the Collector counts what failed (otelcol_scraper_errored_metric_points
// and ..._log_records) at every collection while each problem is still
// logged once, by the problem log: the scraper controller's own line for each
// error is dropped (see quietScrapeErrors). A partial error is handed on as
// it is, with its count. A failed collection is handed on as a partial error
// too, so that what it still reports (mnm.proxmox.up 0 and the problem) is
// kept, counted as the points or records of the last complete collection:
// what is missing.
type errorGate struct {
	mu       sync.Mutex
	expected int // points or records of the last complete collection
}

// pass hands err on; produced is what the collection returned.
func (g *errorGate) pass(err error, produced int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err == nil:
		g.expected = produced
		return nil
	case scrapererror.IsPartialScrapeError(err):
		return err
	default:
		return scrapererror.NewPartialScrapeError(err, max(g.expected, 1))
	}
}

// scrapeErrorLines are what the scraper controller logs for every error a
// collection hands on; the problem log says each problem once instead.
var scrapeErrorLines = map[string]bool{"Error scraping metrics": true, "Error scraping logs": true}

// quietScrapeErrors returns set with a logger that drops the scraper
// controller's per-collection error lines, for the controller only.
func quietScrapeErrors(set receiver.Settings) receiver.Settings {
	set.Logger = set.Logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return dropLines{c} }))
	return set
}

// dropLines is a zap core without the scrapeErrorLines.
type dropLines struct{ zapcore.Core }

func (d dropLines) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if scrapeErrorLines[e.Message] {
		return ce
	}
	return d.Core.Check(e, ce)
}

func (d dropLines) With(fields []zapcore.Field) zapcore.Core { return dropLines{d.Core.With(fields)} }
