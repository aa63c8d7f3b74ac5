package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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

// scraperhelper logs "Error scraping ..." at every collection that returns an
// error. The problem log already says each problem once when it appears and
// once when it clears, so those repeats are dropped; everything else passes.
var repeatedScrapeErrors = map[string]bool{
	"Error scraping metrics": true,
	"Error scraping logs":    true,
}

type scrapeErrorFilter struct {
	zapcore.Core
}

func withoutRepeatedScrapeErrors(logger *zap.Logger) *zap.Logger {
	return logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return scrapeErrorFilter{c} }))
}

func (f scrapeErrorFilter) With(fields []zapcore.Field) zapcore.Core {
	return scrapeErrorFilter{f.Core.With(fields)}
}

func (f scrapeErrorFilter) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if repeatedScrapeErrors[ent.Message] {
		return ce
	}
	return f.Core.Check(ent, ce)
}
