// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// options are the command-line flags of mnm-demo.
type options struct {
	collector string        // the otelcol-mnm binary
	config    string        // the Collector configuration it runs
	runDir    string        // queue, simulator CA and other run state
	nodes     int           // simulated Proxmox nodes
	guests    int           // simulated guests over all nodes
	grace     time.Duration // how long the Collector gets to stop before it is killed
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{grace: killAfter}
	fs := flag.NewFlagSet("mnm-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.collector, "collector", "", "path of the otelcol-mnm binary to run (required; make build writes _build/otelcol-mnm)")
	fs.StringVar(&o.config, "config", "config/demo.yaml", "Collector configuration to run")
	fs.StringVar(&o.runDir, "run-dir", "_build/demo", "directory for the persistent queue and the simulator's CA certificate")
	fs.IntVar(&o.nodes, "nodes", 3, "simulated Proxmox nodes (ignored when PROXMOX_ENDPOINT is set)")
	fs.IntVar(&o.guests, "guests", 36, "simulated guests over all nodes (ignored when PROXMOX_ENDPOINT is set)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v: mnm-demo takes flags only", fs.Args())
	}
	if o.collector == "" {
		return nil, errors.New("-collector is required: run `make run`, or build with `make build` and pass -collector _build/otelcol-mnm")
	}
	if o.nodes < 1 {
		return nil, fmt.Errorf("-nodes must be at least 1 (got %d)", o.nodes)
	}
	if o.guests < 1 {
		return nil, fmt.Errorf("-guests must be at least 1 (got %d)", o.guests)
	}
	// The child runs with these paths; make them independent of its working directory.
	for _, p := range []*string{&o.collector, &o.config, &o.runDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, fmt.Errorf("resolve %q: %w", *p, err)
		}
		*p = abs
	}
	return o, nil
}
