// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Command mnm-demo is what `make run` executes: otelcol-mnm with
// config/demo.yaml against a simulated 3-node Proxmox VE cluster and a
// stand-in for the MNM controller's upsert route, both served in-process on
// loopback.
//
//	go run ./cmd/mnm-demo -collector _build/otelcol-mnm
//
// With PROXMOX_ENDPOINT set, it uses that cluster and the caller's PROXMOX_*
// variables instead of the simulator; with MNM_CONTROLLER_ENDPOINT set, that
// controller instead of the stand-in. Ctrl-C stops the Collector, then the
// servers, and leaves no process behind.
package main // import "github.com/mnm-net/otelcol-mnm/cmd/mnm-demo"

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnm-demo:", err)
		os.Exit(2)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	code, err := run(o, demoEnv{getenv: os.Getenv, environ: os.Environ()}, sigs, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnm-demo:", err)
	}
	os.Exit(code)
}

// demoEnv is the demo's own environment.
type demoEnv struct {
	getenv  func(string) string
	environ []string
}

// printer writes whole lines, so lines of concurrent upserts do not interleave.
type printer struct {
	mu  sync.Mutex
	out io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, time.Now().Format("15:04:05")+" mnm-demo: "+format+"\n", args...)
}

// run starts the simulator and the stand-in where needed, runs the Collector
// until it exits or a signal arrives on sigs, and stops everything. It returns
// the demo's exit code: 0 after a signal, else the Collector's.
func run(o *options, env demoEnv, sigs <-chan os.Signal, stdout, stderr io.Writer) (int, error) {
	for _, f := range []struct{ path, fix string }{
		{o.collector, "run `make build` first"},
		{o.config, "pass -config with a Collector configuration"},
	} {
		if _, err := os.Stat(f.path); err != nil {
			return 2, fmt.Errorf("%w: %s", err, f.fix)
		}
	}
	queueDir := filepath.Join(o.runDir, "queue")
	if err := os.MkdirAll(queueDir, 0o700); err != nil {
		return 1, fmt.Errorf("create the run directory: %w", err)
	}
	p := &printer{out: stdout}
	set := map[string]string{envQueueDir: queueDir}

	if simulateProxmox(env.getenv) {
		caFile := filepath.Join(o.runDir, "pvesim-ca.pem")
		sim, err := startProxmoxSim(pvesim.Config{Nodes: o.nodes, Guests: o.guests, Seed: 1}, caFile)
		if err != nil {
			return 1, err
		}
		defer closeServer(p, "Proxmox simulator", sim.loopbackServer)
		c := sim.sim.Config()
		set[envProxmoxEndpoint] = sim.endpoint()
		set[envProxmoxTokenID] = c.TokenID
		set[envProxmoxTokenSecret] = c.TokenSecret
		set[envProxmoxCAFile] = caFile
		p.printf("Proxmox simulator: %d nodes, %d guests (one DEGRADED ZFS pool and one FAILED disk on %s) at %s, CA %s",
			c.Nodes, c.Guests, sim.sim.Cluster().Nodes[0].Name, sim.endpoint(), caFile)
	} else {
		p.printf("Proxmox: using %s=%s and your PROXMOX_* variables", envProxmoxEndpoint, env.getenv(envProxmoxEndpoint))
	}

	if simulateController(env.getenv) {
		ctl, err := startControllerSim(p.printf)
		if err != nil {
			return 1, err
		}
		defer closeServer(p, "controller stand-in", ctl.loopbackServer)
		set[envControllerEndpoint] = ctl.endpoint()
		set[envControllerSecret] = ctl.secret
		p.printf("controller stand-in: POST %s/api/endpoints/upsert; one line per upsert:", ctl.endpoint())
		p.printf("  controller stand-in: upsert source=proxmox change_source=proxmox endpoints=N new=N updated=N unchanged=N skipped=N")
	} else {
		p.printf("controller: using %s=%s", envControllerEndpoint, env.getenv(envControllerEndpoint))
	}

	cmd := exec.Command(o.collector, "--config", o.config)
	cmd.Env = mergeEnv(env.environ, set)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	c, err := startChild(cmd)
	if err != nil {
		return 1, fmt.Errorf("start %s: %w", o.collector, err)
	}
	p.printf("started %s --config %s (pid %d); queue in %s", o.collector, o.config, cmd.Process.Pid, queueDir)
	p.printf("metrics: curl -s %s/metrics | grep mnm_proxmox_", metricsAddress(env.getenv))
	p.printf("stop: Ctrl-C")

	select {
	case <-c.exited:
		code := c.exitCode()
		p.printf("otelcol-mnm exited (%v), exit code %d", c.err, code)
		return code, nil
	case sig := <-sigs:
		p.printf("%v: stopping otelcol-mnm (killed after %s)", sig, o.grace)
		c.stop(sig, sigs, o.grace)
		p.printf("otelcol-mnm stopped")
		return 0, nil
	}
}

func closeServer(p *printer, name string, s *loopbackServer) {
	if err := s.close(); err != nil {
		p.printf("%s: %v", name, err)
	}
}
