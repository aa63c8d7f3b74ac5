// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// loopbackServer is an HTTP(S) server on 127.0.0.1 with a port picked by the kernel.
type loopbackServer struct {
	srv    *http.Server
	addr   string
	served chan error
}

func serveLoopback(h http.Handler, tlsCfg *tls.Config) (*loopbackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	s := &loopbackServer{
		srv:    &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsCfg},
		addr:   ln.Addr().String(),
		served: make(chan error, 1),
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

// close shuts the server down gracefully, then forcibly after a few seconds.
func (s *loopbackServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	if err := <-s.served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// proxmoxSim is the in-process Proxmox VE simulator over HTTPS.
type proxmoxSim struct {
	sim *pvesim.Simulator
	*loopbackServer
}

// startProxmoxSim serves a simulated cluster on an HTTPS loopback port with a
// fresh self-signed certificate, written to caFile for the child's tls.ca_file.
// The token secret is random so that nothing else on the machine can guess it.
func startProxmoxSim(cfg pvesim.Config, caFile string) (*proxmoxSim, error) {
	cert, certPEM, err := pvesim.SelfSignedCert()
	if err != nil {
		return nil, fmt.Errorf("create the simulator's TLS certificate: %w", err)
	}
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write the simulator's CA certificate: %w", err)
	}
	if cfg.TokenSecret == "" {
		cfg.TokenSecret = rand.Text()
	}
	sim := pvesim.New(cfg)
	// HTTP/1.1 only, like pveproxy.
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	ls, err := serveLoopback(sim.Handler(), tlsCfg)
	if err != nil {
		sim.Close()
		return nil, err
	}
	// hung requests (fault injection) must end before Shutdown can finish
	ls.srv.RegisterOnShutdown(sim.Close)
	return &proxmoxSim{sim: sim, loopbackServer: ls}, nil
}

func (p *proxmoxSim) endpoint() string { return "https://" + p.addr }

// controllerSim is the in-process stand-in for the MNM controller's upsert route.
type controllerSim struct {
	secret string
	*loopbackServer
}

// startControllerSim serves the stand-in with a random secret; logf gets one
// line per upsert request it accepts or rejects.
func startControllerSim(logf func(format string, args ...any)) (*controllerSim, error) {
	secret := rand.Text()
	h := controllersim.New(controllersim.Config{
		Secret: secret,
		OnUpsert: func(s controllersim.Summary) {
			logf("controller stand-in: upsert source=%s change_source=%s endpoints=%d new=%d updated=%d unchanged=%d skipped=%d",
				s.Source, s.ChangeSource, s.Endpoints, s.New, s.Updated, s.Unchanged, s.Skipped)
		},
		OnReject: func(status int, detail string) {
			logf("controller stand-in: rejected status=%d detail=%q", status, detail)
		},
	})
	ls, err := serveLoopback(h, nil)
	if err != nil {
		return nil, err
	}
	return &controllerSim{secret: secret, loopbackServer: ls}, nil
}

func (c *controllerSim) endpoint() string { return "http://" + c.addr }
