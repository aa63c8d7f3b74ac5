// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
)

// scraperBase is what the metrics and the inventory scraper share: their
// hold on the configuration's shared client, and how a collection is handed
// to the scraper helper's controller.
type scraperBase struct {
	cfg    *Config
	handle *clientHandle
	shared *sharedClient
	gate   problems.ErrorGate
	// life ends at the receiver's shutdown (see stopping).
	life context.Context
	stop context.CancelFunc
}

func newScraperBase(cfg *Config, handle *clientHandle) scraperBase {
	life, stop := context.WithCancel(context.Background())
	return scraperBase{cfg: cfg, handle: handle, shared: handle.Unwrap(), life: life, stop: stop}
}

func (b *scraperBase) start(ctx context.Context, host component.Host) error {
	return b.handle.Start(ctx, host)
}

func (b *scraperBase) shutdown(ctx context.Context) error {
	b.stop()
	return b.handle.Shutdown(ctx)
}

// forController wraps a scraper's collection for the scraper helper's
// controller:
//   - its context ends at shutdown: the controller gives a collection a
//     context that shutdown never cancels, and waits for a running collection
//     before it shuts the scrapers down, so a collection waiting on a hung
//     node would hold the Collector's shutdown for up to its timeout;
//   - its error goes through the gate (see problems.ErrorGate), with count,
//     what the collection produced.
func forController[T any](b *scraperBase, scrape func(context.Context) (T, error), count func(T) int) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(b.life, func() { cancel(errShuttingDown) })
		defer stop()
		out, err := scrape(ctx)
		return out, b.gate.Pass(err, count(out))
	}
}

// stopping cancels the running collection before the controller's Shutdown
// waits for it.
func (b *scraperBase) stopping(c component.Component) component.Component {
	return stoppingReceiver{Component: c, stop: b.stop}
}

type stoppingReceiver struct {
	component.Component
	stop context.CancelFunc
}

func (r stoppingReceiver) Shutdown(ctx context.Context) error {
	r.stop()
	return r.Component.Shutdown(ctx)
}

var errShuttingDown = errors.New("the receiver is shutting down")
