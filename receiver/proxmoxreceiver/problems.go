// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"

	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"
)

// problemLog logs each distinct problem once when it appears and once when it
// clears, instead of at every collection: a node that stays down for a day
// must not fill the log.
type problemLog struct {
	logger *zap.Logger
	mu     sync.Mutex
	active map[string]map[string]string // scope → key → message
}

func newProblemLog(logger *zap.Logger) *problemLog {
	return &problemLog{logger: logger, active: map[string]map[string]string{}}
}

// problems collects the problems of one collection, keyed by what they are
// about (path template, node, reason), so that a changing detail such as a
// timeout's duration does not count as a new problem.
type problems map[string]error

func (p problems) add(key string, err error) {
	if _, seen := p[key]; !seen {
		p[key] = err
	}
}

// update compares the problems of one collection of scope (metrics or
// inventory) with the previous one and logs what appeared and what cleared.
func (l *problemLog) update(scope string, current problems) {
	l.mu.Lock()
	defer l.mu.Unlock()
	previous := l.active[scope]
	next := make(map[string]string, len(current))
	for key, err := range current {
		next[key] = err.Error()
		if _, known := previous[key]; !known {
			l.logger.Warn("Proxmox problem", zap.String("collection", scope), zap.String("problem", key), zap.Error(err))
		}
	}
	for key, msg := range previous {
		if _, still := current[key]; !still {
			l.logger.Info("Proxmox problem resolved", zap.String("collection", scope), zap.String("problem", key), zap.String("was", msg))
		}
	}
	l.active[scope] = next
}

// errorGate decides what scraperhelper sees of a collection's error.
// scraperhelper logs every error it is handed, at every collection, while the
// problem log has already said each problem once. So a partial error (the
// collection's data is good and is kept; its problems are in the problem log
// and in mnm.proxmox.api.errors) is not handed on, and a failed collection is
// handed on only the first time in a row, so that it is not emitted and the
// Collector counts it; repeats return an empty collection.
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
	return err
}
