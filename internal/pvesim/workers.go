// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"context"
	"net/http"
	"time"
)

// waitResult says why a wait ended.
type waitResult int

const (
	waitDone      waitResult = iota // the awaited thing happened
	waitCancelled                   // the client went away
	waitClosed                      // the simulator was closed
)

// finish handles a wait that did not end normally: a closed simulator drops
// the connection, a gone client needs no answer. It reports whether the
// request must stop.
func finish(r waitResult) bool {
	switch r {
	case waitClosed:
		panic(http.ErrAbortHandler) // net/http closes the connection quietly
	case waitCancelled:
		return true
	}
	return false
}

func (s *Simulator) wait(ctx context.Context, ch <-chan struct{}) waitResult {
	select {
	case <-ch:
		return waitDone
	case <-ctx.Done():
		return waitCancelled
	case <-s.closed:
		return waitClosed
	}
}

func (s *Simulator) sleep(ctx context.Context, d time.Duration) waitResult {
	if d <= 0 {
		return waitDone
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return waitDone
	case <-ctx.Done():
		return waitCancelled
	case <-s.closed:
		return waitClosed
	}
}

// acquire takes a worker slot of node i; release must follow a waitDone.
func (s *Simulator) acquire(ctx context.Context, i int) waitResult {
	if s.slots == nil {
		return waitDone
	}
	select {
	case s.slots[i] <- struct{}{}:
		return waitDone
	case <-ctx.Done():
		return waitCancelled
	case <-s.closed:
		return waitClosed
	}
}

func (s *Simulator) release(i int) {
	if s.slots != nil {
		<-s.slots[i]
	}
}
