// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix && !linux

package main

import "syscall"

// setParentDeathSignal does nothing: only Linux has a parent-death signal.
func setParentDeathSignal(*syscall.SysProcAttr) {}
