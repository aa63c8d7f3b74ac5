// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newMulti(t *testing.T, n int) (*Simulator, *MultiServer, *http.Client) {
	t.Helper()
	sim := New(Config{})
	m, err := NewMultiServer(sim, n)
	require.NoError(t, err)
	t.Cleanup(m.Close)
	t.Cleanup(sim.Close) // first: releases requests hung in the simulator
	client := m.Client()
	t.Cleanup(client.CloseIdleConnections)
	return sim, m, client
}

// versionAt fetches /version from base and returns the status.
func versionAt(ctx context.Context, client *http.Client, base string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api2/json/version", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", defaultAuth())
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func requireStatus(t *testing.T, client *http.Client, base string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	got, err := versionAt(ctx, client, base)
	require.NoError(t, err, base)
	require.Equal(t, want, got, base)
}

func TestMultiServerSharesOneCertificate(t *testing.T) {
	sim, m, client := newMulti(t, 3)
	require.Equal(t, 3, m.Len())
	seen := map[string]bool{}
	for i, u := range m.URLs() {
		assert.Equal(t, "https://"+m.Addr(i), u)
		seen[m.Addr(i)] = true
		requireStatus(t, client, u, http.StatusOK)
	}
	assert.Len(t, seen, 3, "distinct addresses")
	assert.EqualValues(t, 3, sim.Stats().Total, "one simulator behind all addresses")

	// one CA file for all addresses, written the way an operator installs
	// pve-root-ca.pem
	caFile := t.TempDir() + "/pve-root-ca.pem"
	require.NoError(t, os.WriteFile(caFile, m.CertPEM(), 0o600))
	raw, err := os.ReadFile(caFile)
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.True(t, cert.IsCA)
	require.NoError(t, cert.VerifyHostname("127.0.0.1"))

	sim.FailPath(PathVersion, http.StatusServiceUnavailable, "busy")
	for _, u := range m.URLs() {
		requireStatus(t, client, u, http.StatusServiceUnavailable)
	}
}

func TestMultiServerDownAndUp(t *testing.T) {
	_, m, client := newMulti(t, 3)
	for _, u := range m.URLs() {
		requireStatus(t, client, u, http.StatusOK) // leaves idle connections behind
	}
	addr := m.Addr(1)
	m.Down(1)
	m.Down(1) // twice is fine

	_, err := net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "connection refused, got %v", err)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err = versionAt(ctx, client, m.URL(1))
	require.Error(t, err, "the idle connection was cut and no new one is accepted")
	requireStatus(t, client, m.URL(0), http.StatusOK)
	requireStatus(t, client, m.URL(2), http.StatusOK)

	require.NoError(t, m.Up(1))
	require.NoError(t, m.Up(1))
	assert.Equal(t, addr, m.Addr(1), "back on the same address")
	requireStatus(t, client, m.URL(1), http.StatusOK)
}

func TestMultiServerHang(t *testing.T) {
	_, m, client := newMulti(t, 3)
	requireStatus(t, client, m.URL(2), http.StatusOK) // an idle connection from before the hang
	m.Hang(2)

	t.Run("new connections are accepted but get no byte", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", m.Addr(2), time.Second)
		require.NoError(t, err, "accepted")
		defer conn.Close()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err = conn.Write([]byte("\x16\x03\x01\x00\x00")) // some bytes of a ClientHello
		require.NoError(t, err)
		n, err := conn.Read(make([]byte, 16))
		assert.Zero(t, n)
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout(), "no answer, not a close: %v", err)
	})
	t.Run("requests time out, on old and new connections", func(t *testing.T) {
		for range 2 {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			_, err := versionAt(ctx, client, m.URL(2))
			cancel()
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
	})
	t.Run("other addresses answer", func(t *testing.T) {
		requireStatus(t, client, m.URL(0), http.StatusOK)
		requireStatus(t, client, m.URL(1), http.StatusOK)
	})
	t.Run("resume answers what waited", func(t *testing.T) {
		waiting := m.Client()
		defer waiting.CloseIdleConnections()
		got := make(chan int, 1)
		go func() {
			status, err := versionAt(context.Background(), waiting, m.URL(2))
			if err != nil {
				status = -1
			}
			got <- status
		}()
		select {
		case s := <-got:
			t.Fatalf("answered %d during the hang", s)
		case <-time.After(100 * time.Millisecond):
		}
		m.Resume(2)
		select {
		case s := <-got:
			assert.Equal(t, http.StatusOK, s)
		case <-time.After(5 * time.Second):
			t.Fatal("held request not answered after Resume")
		}
		requireStatus(t, client, m.URL(2), http.StatusOK)
	})
}

// A request its client gave up on while the address hangs ends without any
// answer. It used to end with an empty 200, which a loaded client sometimes
// read instead of its own deadline error.
func TestMultiServerHangNeverAnswersAClientThatGaveUp(t *testing.T) {
	_, m, _ := newMulti(t, 1)
	m.Hang(0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api2/json/version", http.NoBody)
	rec := httptest.NewRecorder()
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { m.addrs[0].serveHTTP(rec, req) },
		"the connection is cut without an answer")
	assert.False(t, rec.Flushed)
	assert.Empty(t, rec.Body.String())
}

func TestMultiServerDownEndsHang(t *testing.T) {
	_, m, client := newMulti(t, 2)
	requireStatus(t, client, m.URL(0), http.StatusOK)
	m.Hang(0)
	errc := make(chan error, 2)
	for _, c := range []*http.Client{client, m.Client()} { // an old and a new connection
		defer c.CloseIdleConnections()
		go func() {
			_, err := versionAt(context.Background(), c, m.URL(0))
			errc <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		m.Down(0)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Down blocked on the hung address")
	}
	for range 2 {
		select {
		case err := <-errc:
			assert.Error(t, err, "held requests are cut, not answered")
		case <-time.After(5 * time.Second):
			t.Fatal("held request not released by Down")
		}
	}
	require.NoError(t, m.Up(0))
	requireStatus(t, client, m.URL(0), http.StatusOK)
}
