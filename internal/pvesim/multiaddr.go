// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
)

// MultiServer serves one Simulator on several loopback addresses, like a
// cluster whose every node answers the API: each address is an HTTPS
// httptest server and all of them share one self-signed certificate, so one
// CA file covers them all the way /etc/pve/pve-root-ca.pem covers a real
// cluster's nodes. Single addresses can be taken down, brought back on the
// same host and port, or made to hang. All methods are safe for concurrent
// use.
//
// Requests that hang inside the Simulator (HangPath, HangNode) are not
// released by Down or Close: call the Simulator's Close first, as with any
// server in front of it.
type MultiServer struct {
	sim     *Simulator
	cert    tls.Certificate
	certPEM []byte
	addrs   []*simAddr
}

// NewMultiServer serves sim on n addresses 127.0.0.1:<port>, each with a
// port of its own.
func NewMultiServer(sim *Simulator, n int) (*MultiServer, error) {
	if n < 1 {
		return nil, fmt.Errorf("need at least one address, got %d", n)
	}
	cert, certPEM, err := SelfSignedCert()
	if err != nil {
		return nil, err
	}
	m := &MultiServer{sim: sim, cert: cert, certPEM: certPEM}
	for range n {
		a := &simAddr{m: m}
		if err := a.start("127.0.0.1:0"); err != nil {
			m.Close()
			return nil, err
		}
		m.addrs = append(m.addrs, a)
	}
	return m, nil
}

// Len returns the number of addresses.
func (m *MultiServer) Len() int { return len(m.addrs) }

// Addr returns address i as host:port; it stays the same across Down and Up.
func (m *MultiServer) Addr(i int) string { return m.addrs[i].addr }

// URL returns the base URL of address i (https://host:port, without
// /api2/json).
func (m *MultiServer) URL(i int) string { return "https://" + m.addrs[i].addr }

// URLs returns the base URLs of all addresses.
func (m *MultiServer) URLs() []string {
	out := make([]string, len(m.addrs))
	for i := range m.addrs {
		out[i] = m.URL(i)
	}
	return out
}

// CertPEM returns the certificate every address serves; it is its own CA,
// so a client trusts all addresses with it as tls.ca_file.
func (m *MultiServer) CertPEM() []byte { return m.certPEM }

// Client returns a new HTTP client that trusts CertPEM. Close its idle
// connections when done.
func (m *MultiServer) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(m.certPEM)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
}

// Down takes address i down like a node that is switched off: the listener
// is closed (new connections are refused) and open connections are cut.
// It ends a hang on that address. Down on a down address does nothing.
func (m *MultiServer) Down(i int) { m.addrs[i].down() }

// Up brings address i back on the same host and port. Up on an address
// that is up does nothing. It fails if something else took the port.
func (m *MultiServer) Up(i int) error { return m.addrs[i].up() }

// Hang makes address i accept connections but never answer, like a node
// whose pveproxy froze: new TCP connections are accepted and then held
// without a byte of TLS, and requests on connections opened before get no
// answer. Resume ends it.
func (m *MultiServer) Hang(i int) { m.addrs[i].hang() }

// Resume ends a hang on address i: the held connections are served and the
// held requests answered (if their clients still wait).
func (m *MultiServer) Resume(i int) { m.addrs[i].resume() }

// Close takes every address down. It does not close the Simulator.
func (m *MultiServer) Close() {
	for _, a := range m.addrs {
		a.down()
	}
}

// simAddr is one address of a MultiServer.
type simAddr struct {
	m *MultiServer

	life    sync.Mutex // serialises up and down
	mu      sync.Mutex // guards the rest
	addr    string
	srv     *httptest.Server // nil while down
	gate    *gateListener
	hanging bool
	resumed chan struct{} // closed when a hang ends
	downed  chan struct{} // closed when the address goes down
	held    []net.Conn    // connections accepted while hanging
}

// start listens on addr and serves; a.mu must be held or a not yet shared.
func (a *simAddr) start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if a.addr == "" {
		a.addr = ln.Addr().String() // fixed from now on: Addr reads it unlocked
	}
	a.downed = make(chan struct{})
	a.gate = newGateListener(ln, a)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(a.serveHTTP))
	_ = srv.Listener.Close() // replaced by ours, on the fixed address
	srv.Listener = a.gate
	// connections held by a hang often reach TLS only after their client
	// gave up; those handshake errors are expected
	srv.Config.ErrorLog = log.New(handshakeErrorFilter{}, "", log.LstdFlags)
	// HTTP/1.1 only, like pveproxy (httptest's default without EnableHTTP2)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{a.m.cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	a.srv = srv
	return nil
}

func (a *simAddr) up() error {
	a.life.Lock()
	defer a.life.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.srv != nil {
		return nil
	}
	return a.start(a.addr)
}

func (a *simAddr) down() {
	a.life.Lock()
	defer a.life.Unlock()
	a.mu.Lock()
	srv := a.srv
	a.srv = nil
	a.mu.Unlock()
	if srv == nil {
		return
	}
	// refuse new connections before anything held is let go, so that a
	// client retrying a cut request cannot reach this address any more
	_ = srv.Listener.Close()

	a.mu.Lock()
	held := a.held
	a.held = nil
	a.hanging = false
	close(a.downed) // requests held by a hang are aborted, not resumed
	a.mu.Unlock()
	for _, c := range held {
		_ = c.Close()
	}
	srv.CloseClientConnections()
	srv.Close()
}

func (a *simAddr) hang() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hanging || a.srv == nil {
		return
	}
	a.hanging = true
	a.resumed = make(chan struct{})
}

func (a *simAddr) resume() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.hanging {
		return
	}
	a.hanging = false
	close(a.resumed)
	a.gate.release(a.held)
	a.held = nil
}

// hold keeps c while the address hangs and reports whether it did.
func (a *simAddr) hold(c net.Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.hanging {
		return false
	}
	a.held = append(a.held, c)
	return true
}

func (a *simAddr) serveHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	hanging, resumed, downed := a.hanging, a.resumed, a.downed
	a.mu.Unlock()
	if hanging {
		select {
		case <-resumed:
		case <-r.Context().Done():
			// The client gave up. Returning would send it an empty 200,
			// which it may still read; a hung node never answers.
			panic(http.ErrAbortHandler)
		case <-downed:
			panic(http.ErrAbortHandler) // net/http closes the connection quietly
		}
	}
	a.m.sim.serveHTTP(w, r)
}

// gateListener hands accepted connections to the server unless the address
// hangs; held connections come back through release. A goroutine accepts
// from the TCP listener so that released connections need not wait for
// the next client.
type gateListener struct {
	net.Listener
	a         *simAddr
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newGateListener(ln net.Listener, a *simAddr) *gateListener {
	l := &gateListener{Listener: ln, a: a, conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *gateListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			_ = l.Close() // Accept then reports net.ErrClosed
			return
		}
		if l.a.hold(c) {
			continue
		}
		l.hand(c)
	}
}

// hand passes c to Accept, or closes it when the listener closed first.
func (l *gateListener) hand(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// release hands held connections to the server.
func (l *gateListener) release(conns []net.Conn) {
	for _, c := range conns {
		go l.hand(c)
	}
}

func (l *gateListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *gateListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.Listener.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}

// handshakeErrorFilter passes server log lines to stderr except TLS
// handshake errors.
type handshakeErrorFilter struct{}

func (handshakeErrorFilter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("TLS handshake error")) {
		return len(p), nil
	}
	return os.Stderr.Write(p)
}
