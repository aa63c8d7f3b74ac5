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

// abortUnlessDone ends the request without any answer when a wait did not
// end normally: the simulator was closed, or the client went away. net/http
// then closes the connection quietly. Returning instead would send an empty
// 200, which a client racing its own deadline can still read, where a hung
// or abandoned pveproxy sends nothing.
func abortUnlessDone(r waitResult) {
	if r != waitDone {
		panic(http.ErrAbortHandler)
	}
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
