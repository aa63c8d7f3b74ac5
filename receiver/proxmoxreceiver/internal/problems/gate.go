// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"

import (
	"sync"

	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// ErrorGate decides what scraperhelper sees of a collection's error, so
// that the Collector counts what failed (otelcol_scraper_errored_metric_points
// and ..._log_records) at every collection while each problem is still
// logged once, by the problem Log: the scraper controller's own line for each
// error is dropped (see QuietScrapeErrors). A partial error is handed on as
// it is, with its count. A failed collection is handed on as a partial error
// too, so that what it still reports (mnm.proxmox.up 0 and the problem) is
// kept, counted as the points or records of the last complete collection:
// what is missing.
type ErrorGate struct {
	mu       sync.Mutex
	expected int // points or records of the last complete collection
}

// Pass hands err on; produced is what the collection returned.
func (g *ErrorGate) Pass(err error, produced int) error {
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
// collection hands on; the problem Log says each problem once instead.
var scrapeErrorLines = map[string]bool{"Error scraping metrics": true, "Error scraping logs": true}

// QuietScrapeErrors returns set with a logger that drops the scraper
// controller's per-collection error lines, for the controller only.
func QuietScrapeErrors(set receiver.Settings) receiver.Settings {
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
