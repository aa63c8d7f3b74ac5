// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
)

// The scraper helper's controller gives a collection a context that shutdown
// never cancels, and waits for a running collection before it shuts the
// scrapers down: a collection waiting on a hung node would hold the
// Collector's shutdown for up to its timeout. stopOnShutdown ties every
// collection of a receiver to the receiver's life instead.
type stopOnShutdown struct {
	life context.Context
	stop context.CancelFunc
}

func newStopOnShutdown() stopOnShutdown {
	life, stop := context.WithCancel(context.Background())
	return stopOnShutdown{life: life, stop: stop}
}

// scrape wraps a scrape function so that its context ends at shutdown.
func stoppable[T any](s stopOnShutdown, scrape func(context.Context) (T, error)) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(s.life, func() { cancel(errShuttingDown) })
		defer stop()
		return scrape(ctx)
	}
}

// receiver cancels the running collection before the controller's Shutdown
// waits for it.
func (s stopOnShutdown) receiver(c component.Component) component.Component {
	return stoppingReceiver{Component: c, stop: s.stop}
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
