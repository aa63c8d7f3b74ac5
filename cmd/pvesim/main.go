// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Command pvesim serves a simulated Proxmox VE cluster API for tests, e2e
// runs and demos. See internal/pvesim for what it serves.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

type options struct {
	listen     string
	cfg        pvesim.Config
	perms      string
	tls        bool
	caOut      string
	readyFile  string
	stdout     io.Writer
	shutdownTO time.Duration
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{stdout: os.Stdout, shutdownTO: 5 * time.Second}
	fs := flag.NewFlagSet("pvesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8006", "address to listen on (port 0 picks a free port)")
	fs.IntVar(&o.cfg.Nodes, "nodes", pvesim.DefaultNodes, "number of cluster nodes")
	fs.IntVar(&o.cfg.Guests, "guests", pvesim.DefaultGuests, "number of guests over all nodes")
	fs.IntVar(&o.cfg.OfflineNodes, "offline", 0, "number of nodes (the last ones) that start offline")
	fs.Int64Var(&o.cfg.Seed, "seed", 1, "seed for the generated cluster")
	fs.DurationVar(&o.cfg.Latency, "latency", 0, "latency added to every API request")
	fs.IntVar(&o.cfg.WorkersPerNode, "workers", 0, "concurrent requests per node (0 = unlimited; real pveproxy: 3)")
	fs.DurationVar(&o.cfg.AgentDelay, "agent-delay", 0, "how long a configured but not running guest agent takes to fail (real: 3s)")
	fs.DurationVar(&o.cfg.AuthFailDelay, "auth-fail-delay", 0, "delay before a 401 for a wrong token (real: 3s)")
	fs.StringVar(&o.perms, "permissions", "full", "token ACL: full, auditor-pve8, privsep-no-acl (as pve-manager answers such a token), privsep-empty-lists (the older claim: empty lists) or auditor-no-sdn (full without SDN.Audit)")
	pve7 := fs.Bool("pve7-errors", false, "answer errors PVE 7 style (text only in the reason phrase)")
	fs.StringVar(&o.cfg.Version, "pve-version", pvesim.Version9, "Proxmox VE major version to answer as: 9, or 7 (/version 7.4-20, no lxc interfaces endpoint, PVE 7 errors)")
	fs.BoolVar(&o.cfg.QMPStates, "qmp-states", false, "make a few running qemu guests paused, suspended or prelaunch")
	fs.BoolVar(&o.cfg.SDN, "sdn", false, "add SDN zones of every type with vnets and put some guest NICs on them")
	fs.BoolVar(&o.cfg.NICGaps, "nic-gaps", false, "give one qemu guest and one container a hole in their netN numbering (net0, net2)")
	fs.BoolVar(&o.cfg.GuestVLANs, "guest-vlans", false, "give a few qemu guests with a running agent and one container in-guest VLAN sub-interfaces (ens18.50) with the parent NIC's MAC")
	fs.BoolVar(&o.cfg.DuplicateMAC, "duplicate-mac", false, "give one running guest's first NIC the MAC of another guest's NIC, as after a restore without unique")
	fs.BoolVar(&o.cfg.Operations, "operations", false, "serve backups (not-backed-up, tasks and task logs), replication, HA status, Ceph status, certificates and subscriptions")
	fs.BoolVar(&o.cfg.CephAbsent, "ceph-absent", false, "with -operations: no Ceph installed (/cluster/ceph/status answers 500)")
	fs.BoolVar(&o.cfg.HAAbsent, "ha-absent", false, "with -operations: HA never configured (the HA status lists only the quorum)")
	opsTime := fs.String("operations-time", "", "with -operations: the time the generated history ends at (RFC 3339; default: now)")
	fs.StringVar(&o.cfg.TokenID, "token-id", pvesim.DefaultTokenID, "accepted API token id (user@realm!name)")
	fs.StringVar(&o.cfg.TokenSecret, "token-secret", "", "accepted API token secret (default: $PVESIM_TOKEN_SECRET, else the built-in default)")
	fs.BoolVar(&o.tls, "tls", true, "serve HTTPS with a fresh self-signed certificate")
	fs.StringVar(&o.caOut, "ca-out", "", "write the self-signed certificate (PEM) to this file")
	fs.StringVar(&o.readyFile, "ready-file", "", "write the actual listen address to this file once serving")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v: pvesim takes flags only", fs.Args())
	}
	if o.cfg.TokenSecret == "" {
		o.cfg.TokenSecret = getenv("PVESIM_TOKEN_SECRET")
	}
	p, err := pvesim.ParsePermissions(o.perms)
	if err != nil {
		return nil, fmt.Errorf("-permissions: %w", err)
	}
	o.cfg.Permissions = p
	if o.cfg.Version, err = pvesim.ParseVersion(o.cfg.Version); err != nil {
		return nil, fmt.Errorf("-pve-version: %w", err)
	}
	if *pve7 {
		o.cfg.ErrorStyle = pvesim.PVE7
	}
	if (o.cfg.CephAbsent || o.cfg.HAAbsent || *opsTime != "") && !o.cfg.Operations {
		return nil, errors.New("-ceph-absent, -ha-absent and -operations-time need -operations")
	}
	if *opsTime != "" {
		if o.cfg.OperationsTime, err = time.Parse(time.RFC3339, *opsTime); err != nil {
			return nil, fmt.Errorf("-operations-time: %w", err)
		}
	}
	if o.caOut != "" && !o.tls {
		return nil, errors.New("-ca-out needs -tls=true: there is no certificate without TLS")
	}
	return o, nil
}

func run(ctx context.Context, o *options) error {
	sim := pvesim.New(o.cfg)
	defer sim.Close()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on -listen %q: %w", o.listen, err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	// hung requests must end before Shutdown can finish
	srv.RegisterOnShutdown(sim.Close)
	scheme := "http"
	if o.tls {
		host, _, _ := net.SplitHostPort(o.listen)
		cert, pemBytes, err := selfSignedCert(host)
		if err != nil {
			ln.Close()
			return fmt.Errorf("create TLS certificate: %w", err)
		}
		if o.caOut != "" {
			if err := os.WriteFile(o.caOut, pemBytes, 0o600); err != nil {
				ln.Close()
				return fmt.Errorf("write -ca-out %q: %w", o.caOut, err)
			}
		}
		// HTTP/1.1 only, like pveproxy; it also keeps custom reason phrases possible
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	addr := ln.Addr().String()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	c := sim.Config()
	fmt.Fprintf(o.stdout, "pvesim: serving %d nodes, %d guests on %s://%s (%s)\n", c.Nodes, c.Guests, scheme, addr, c.TokenID)
	if o.readyFile != "" {
		if err := os.WriteFile(o.readyFile, []byte(addr), 0o600); err != nil {
			_ = srv.Close()
			<-errc
			return fmt.Errorf("write -ready-file %q: %w", o.readyFile, err)
		}
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTO)
	defer cancel()
	sim.Close()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pvesim:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "pvesim:", err)
		os.Exit(1)
	}
}
