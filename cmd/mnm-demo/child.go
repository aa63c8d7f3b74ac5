// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"os"
	"os/exec"
	"time"
)

// killAfter is how long the Collector gets to shut down after a forwarded signal.
const killAfter = 10 * time.Second

// child is the running Collector.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait returned
	err    error         // cmd.Wait's result, set before exited is closed
}

func startChild(cmd *exec.Cmd) (*child, error) {
	// Its own process group: a terminal's Ctrl-C reaches only the demo, which
	// then stops the Collector first and the servers it talks to last.
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// stop forwards sig to the child's process group and waits for it; it kills
// the group when the child takes longer than grace or when another signal
// arrives on sigs.
func (c *child) stop(sig os.Signal, sigs <-chan os.Signal, grace time.Duration) {
	signalGroup(c.cmd.Process, sig)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-c.exited:
		return
	case <-timer.C:
	case <-sigs:
	}
	killGroup(c.cmd.Process)
	<-c.exited
}

// exitCode is the code the demo exits with when the child ended by itself.
func (c *child) exitCode() int {
	var ee *exec.ExitError
	switch {
	case c.err == nil:
		return 0
	case errors.As(c.err, &ee) && ee.ExitCode() > 0:
		return ee.ExitCode()
	default: // killed by a signal, or Wait failed
		return 1
	}
}
