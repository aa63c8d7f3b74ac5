// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Command mnm-controller-sim serves the controller stand-in of
// internal/controllersim on a loopback address and prints one line per
// upsert request it receives.
//
//	mnm-controller-sim -listen 127.0.0.1:8080 -secret s3cret -ready-file /tmp/sim.addr
//
// -max-endpoints lowers the most endpoints a request may hold (413 above it;
// 1000 without it). -fail-mac makes the store fail on that MAC mid-request:
// the endpoints before it stay stored and the answer is 500. -no-upsert-route
// answers as stock MNM v1.0.1, which has no upsert route: 405 with Allow: GET.
//
// The secret may come from MNM_CONTROLLER_SECRET instead of -secret.
package main // import "github.com/mnm-net/otelcol-mnm/cmd/mnm-controller-sim"

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
)

const secretEnv = "MNM_CONTROLLER_SECRET"

var macPattern = regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){5}$`)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "mnm-controller-sim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("mnm-controller-sim", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "loopback address to listen on (port 0 picks a free port)")
	secret := fs.String("secret", "", "shared secret of the mnm_token cookie (default: $"+secretEnv+")")
	readyFile := fs.String("ready-file", "", "file to write the base URL to once listening")
	maxEndpoints := fs.Int("max-endpoints", 0, "answer 413 to a request with more endpoints (0: the contract's 1000)")
	failMAC := fs.String("fail-mac", "", "make the store fail on the endpoint with this MAC: the endpoints before it stay stored, the answer is 500")
	noUpsertRoute := fs.Bool("no-upsert-route", false, "answer POST to the upsert path with 405 as stock MNM v1.0.1, which has no upsert route")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		*secret = getenv(secretEnv)
	}
	if *secret == "" {
		return fmt.Errorf("a secret is required: pass -secret or set %s", secretEnv)
	}
	if *maxEndpoints < 0 {
		return errors.New("-max-endpoints must not be negative (0: the contract's 1000)")
	}
	if *failMAC != "" && !macPattern.MatchString(strings.ToUpper(*failMAC)) {
		return fmt.Errorf("-fail-mac %q: expected a colon-separated MAC address such as BC:24:11:00:00:01", *failMAC)
	}
	if err := checkLoopback(*listen); err != nil {
		return err
	}

	var mu sync.Mutex // keeps lines whole when requests arrive together
	printf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, time.Now().Format("15:04:05")+" "+format+"\n", a...)
	}
	handler := controllersim.New(controllersim.Config{
		Secret:        *secret,
		MaxEndpoints:  *maxEndpoints,
		FailMAC:       strings.ToUpper(*failMAC),
		NoUpsertRoute: *noUpsertRoute,
		OnUpsert: func(s controllersim.Summary) {
			printf("upsert source=%s change_source=%s endpoints=%d new=%d updated=%d unchanged=%d skipped=%d",
				s.Source, s.ChangeSource, s.Endpoints, s.New, s.Updated, s.Unchanged, s.Skipped)
		},
		OnReject: func(status int, detail string) {
			printf("rejected status=%d detail=%q", status, detail)
		},
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *listen, err)
	}
	baseURL := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	printf("mnm-controller-sim listening on %s (POST %s, GET %s %s %s %s %s, POST %s)",
		baseURL, controllersim.UpsertPath, controllersim.EndpointsPath, controllersim.EventsPath, controllersim.ChangesPath,
		controllersim.AnomaliesPath, controllersim.StatsPath, controllersim.FaultPath)
	if *readyFile != "" {
		if err := writeReadyFile(*readyFile, baseURL); err != nil {
			_ = srv.Close()
			return err
		}
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkLoopback refuses non-loopback addresses: the simulator accepts any
// data and must not be reachable from the network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: only loopback addresses are allowed (e.g. 127.0.0.1:8080)", addr)
	}
	return nil
}

// writeReadyFile writes atomically so a watcher never reads half a URL.
func writeReadyFile(path, baseURL string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ready-*")
	if err != nil {
		return fmt.Errorf("writing -ready-file: %w", err)
	}
	if _, err := tmp.WriteString(baseURL + "\n"); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing -ready-file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing -ready-file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing -ready-file: %w", err)
	}
	return nil
}
