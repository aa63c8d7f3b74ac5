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
	"strings"
	"syscall"
	"time"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

type options struct {
	listen     string
	cfg        pvesim.Config
	shape      string
	perms      string
	tls        bool
	caOut      string
	readyFile  string
	stdout     io.Writer
	shutdownTO time.Duration
}

// defaultConfig is what the flags default to without -shape.
func defaultConfig() pvesim.Config {
	return pvesim.Config{Nodes: pvesim.DefaultNodes, Guests: pvesim.DefaultGuests, Seed: 1,
		TokenID: pvesim.DefaultTokenID, Version: pvesim.Version9}
}

// flagSet defines every flag on o with the defaults of base, and returns
// the values that need converting after parsing.
func flagSet(o *options, base pvesim.Config, stderr io.Writer) (fs *flag.FlagSet, pve7 *bool, opsTime *string) {
	fs = flag.NewFlagSet("pvesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if base.TokenID == "" {
		base.TokenID = pvesim.DefaultTokenID
	}
	if base.Version == "" {
		base.Version = pvesim.Version9
	}
	defaultOpsTime := ""
	if !base.OperationsTime.IsZero() {
		defaultOpsTime = base.OperationsTime.UTC().Format(time.RFC3339)
	}
	fs.StringVar(&o.shape, "shape", "", "start from a named healthy cluster of the field, whose settings the other flags then override: "+
		strings.Join(pvesim.ShapeNames(), ", "))
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8006", "address to listen on (port 0 picks a free port)")
	fs.IntVar(&o.cfg.Nodes, "nodes", base.Nodes, "number of cluster nodes")
	fs.IntVar(&o.cfg.Guests, "guests", base.Guests, "number of guests over all nodes")
	fs.IntVar(&o.cfg.OfflineNodes, "offline", base.OfflineNodes, "number of nodes (the last ones) that start offline")
	fs.Int64Var(&o.cfg.Seed, "seed", base.Seed, "seed for the generated cluster")
	fs.DurationVar(&o.cfg.Latency, "latency", base.Latency, "latency added to every API request")
	fs.IntVar(&o.cfg.WorkersPerNode, "workers", base.WorkersPerNode, "concurrent requests per node (0 = unlimited; real pveproxy: 3)")
	fs.DurationVar(&o.cfg.AgentDelay, "agent-delay", base.AgentDelay, "how long a configured but not running guest agent takes to fail (real: 3s)")
	fs.DurationVar(&o.cfg.AuthFailDelay, "auth-fail-delay", base.AuthFailDelay, "delay before a 401 for a wrong token (real: 3s)")
	fs.StringVar(&o.perms, "permissions", base.Permissions.String(), "token ACL: full, auditor-pve8, privsep-no-acl (as pve-manager answers such a token), privsep-empty-lists (the older claim: empty lists) or auditor-no-sdn (full without SDN.Audit)")
	pve7 = fs.Bool("pve7-errors", base.ErrorStyle == pvesim.PVE7, "answer errors PVE 7 style (text only in the reason phrase)")
	fs.StringVar(&o.cfg.Version, "pve-version", base.Version, "Proxmox VE version to answer as: 9 (9.1.4, node pve2 on 8.4.1), 8.4 (8.4.1), "+
		"8.0 (8.0.4: no lxc interfaces endpoint, errors in the reason phrase only) or 7.4 (7.4-20: as 8.0); a full version such as 8.4.1 works too")
	fs.BoolVar(&o.cfg.QMPStates, "qmp-states", base.QMPStates, "make a few running qemu guests paused, suspended or prelaunch")
	fs.BoolVar(&o.cfg.SDN, "sdn", base.SDN, "add SDN zones of every type with vnets and put some guest NICs on them")
	fs.BoolVar(&o.cfg.SDNAbsent, "sdn-absent", base.SDNAbsent, "no SDN package (libpve-network-perl) installed: every /cluster/sdn path answers 501, as on 7.4 and 8.0 by default")
	fs.BoolVar(&o.cfg.NICGaps, "nic-gaps", base.NICGaps, "give one qemu guest and one container a hole in their netN numbering (net0, net2)")
	fs.BoolVar(&o.cfg.GuestVLANs, "guest-vlans", base.GuestVLANs, "give a few qemu guests with a running agent and one container in-guest VLAN sub-interfaces (ens18.50) with the parent NIC's MAC")
	fs.BoolVar(&o.cfg.DuplicateMAC, "duplicate-mac", base.DuplicateMAC, "give one running guest's first NIC the MAC of another guest's NIC, as after a restore without unique")
	fs.BoolVar(&o.cfg.Standalone, "standalone", base.Standalone, "a single node that never joined a cluster (no cluster entry in /cluster/status, no HA)")
	fs.BoolVar(&o.cfg.NoSubscription, "no-subscription", base.NoSubscription, "no node has a subscription key (level \"\")")
	fs.BoolVar(&o.cfg.ZFSAbsent, "zfs-absent", base.ZFSAbsent, "no node has the zfs kernel module loaded (/disks/zfs answers 500)")
	fs.BoolVar(&o.cfg.Operations, "operations", base.Operations, "serve backups (not-backed-up, tasks and task logs), replication, HA status, Ceph status, certificates and subscriptions")
	fs.BoolVar(&o.cfg.CephAbsent, "ceph-absent", base.CephAbsent, "with -operations: no Ceph installed (/cluster/ceph/status answers 500)")
	fs.BoolVar(&o.cfg.CephNotInitialized, "ceph-not-initialized", base.CephNotInitialized, "with -operations: Ceph installed but pveceph init never run (/cluster/ceph/status answers 500)")
	fs.BoolVar(&o.cfg.HAAbsent, "ha-absent", base.HAAbsent, "with -operations: HA never configured (the HA status lists only the quorum)")
	fs.BoolVar(&o.cfg.GuestAgentDetails, "guest-agent-details", base.GuestAgentDetails, "serve what the guest agent knows (agent/get-fsinfo, get-osinfo, get-host-name: Linux and Windows guests, old agents, "+
		"a disabled command) and the balloon statistics of /nodes/{node}/qemu?full=1")
	fs.BoolVar(&o.cfg.LXCInterfacesUnproxied, "lxc-interfaces-unproxied", base.LXCInterfacesUnproxied, "answer container interfaces as pve-container before 5.2.0 (Proxmox VE 8.1, 8.2; bug #5674): {\"data\":null} for every container not on the first node")
	fs.BoolVar(&o.cfg.FullFilesystem, "full-filesystem", base.FullFilesystem, "with -guest-agent-details: fill the root filesystem of one Linux guest to 96 %")
	opsTime = fs.String("operations-time", defaultOpsTime, "with -operations: the time the generated history ends at (RFC 3339; default: now)")
	fs.StringVar(&o.cfg.TokenID, "token-id", base.TokenID, "accepted API token id (user@realm!name)")
	fs.StringVar(&o.cfg.TokenSecret, "token-secret", base.TokenSecret, "accepted API token secret (default: $PVESIM_TOKEN_SECRET, else the built-in default)")
	fs.BoolVar(&o.tls, "tls", true, "serve HTTPS with a fresh self-signed certificate")
	fs.StringVar(&o.caOut, "ca-out", "", "write the self-signed certificate (PEM) to this file")
	fs.StringVar(&o.readyFile, "ready-file", "", "write the actual listen address to this file once serving")
	return fs, pve7, opsTime
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	base := defaultConfig()
	// -shape gives every other flag its default, so a first pass finds
	// it; the second reports any error
	var probe options
	if fs, _, _ := flagSet(&probe, base, io.Discard); fs.Parse(args) == nil && probe.shape != "" {
		sh, err := pvesim.ShapeNamed(probe.shape)
		if err != nil {
			return nil, fmt.Errorf("-shape: %w", err)
		}
		base = sh.Config
	}
	o := &options{stdout: os.Stdout, shutdownTO: 5 * time.Second}
	fs, pve7, opsTime := flagSet(o, base, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v: pvesim takes flags only", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
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
	} else {
		o.cfg.ErrorStyle = pvesim.PVE9
	}
	if !o.cfg.Operations {
		if set["ceph-absent"] || set["ceph-not-initialized"] || set["ha-absent"] || set["operations-time"] {
			return nil, errors.New("-ceph-absent, -ceph-not-initialized, -ha-absent and -operations-time need -operations")
		}
		// a shape's settings for them lapse with -operations=false
		o.cfg.CephAbsent, o.cfg.CephNotInitialized, o.cfg.HAAbsent, *opsTime = false, false, false, ""
	}
	if !o.cfg.GuestAgentDetails {
		if set["full-filesystem"] && o.cfg.FullFilesystem {
			return nil, errors.New("-full-filesystem needs -guest-agent-details")
		}
		o.cfg.FullFilesystem = false // a shape's setting lapses with it
	}
	if *opsTime != "" {
		if o.cfg.OperationsTime, err = time.Parse(time.RFC3339, *opsTime); err != nil {
			return nil, fmt.Errorf("-operations-time: %w", err)
		}
	} else {
		o.cfg.OperationsTime = time.Time{}
	}
	if o.cfg.SDN && o.cfg.SDNAbsent {
		return nil, errors.New("-sdn and -sdn-absent exclude each other: without the SDN package there is nothing to configure")
	}
	if o.cfg.Standalone {
		if set["nodes"] && o.cfg.Nodes != 1 {
			return nil, fmt.Errorf("-standalone is a single node, not -nodes %d", o.cfg.Nodes)
		}
		o.cfg.Nodes = 1
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
	shape := ""
	if o.shape != "" {
		shape = ", shape " + o.shape
	}
	fmt.Fprintf(o.stdout, "pvesim: serving %d nodes, %d guests on %s://%s (%s%s)\n", c.Nodes, c.Guests, scheme, addr, c.TokenID, shape)
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
