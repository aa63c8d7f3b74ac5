// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package main

import (
	"os"
	"os/exec"
)

func setProcessGroup(*exec.Cmd) {}

func signalGroup(p *os.Process, sig os.Signal) {
	if err := p.Signal(sig); err != nil {
		_ = p.Kill() // Windows cannot deliver os.Interrupt to another process
	}
}

func killGroup(p *os.Process) { _ = p.Kill() }
