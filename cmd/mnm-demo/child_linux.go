// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import "syscall"

// setParentDeathSignal makes the kernel stop the Collector if the demo itself
// dies without forwarding a signal (SIGKILL, a crash): it is in its own
// process group, so nothing else would.
func setParentDeathSignal(a *syscall.SysProcAttr) {
	a.Pdeathsig = syscall.SIGTERM
}
