// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseFlags(t *testing.T) {
	env := func(string) string { return "from-env" }
	o, err := parseFlags([]string{"-nodes", "5", "-guests", "50", "-offline", "1", "-workers", "3", "-permissions", "auditor-pve8", "-pve7-errors"}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8006", o.listen, "loopback by default")
	assert.Equal(t, 5, o.cfg.Nodes)
	assert.Equal(t, "from-env", o.cfg.TokenSecret)
	assert.Equal(t, pvesim.AuditorPVE8, o.cfg.Permissions)
	assert.Equal(t, pvesim.PVE7, o.cfg.ErrorStyle)
	assert.True(t, o.tls)

	assert.Equal(t, pvesim.Version9, o.cfg.Version)
	assert.False(t, o.cfg.QMPStates)

	o, err = parseFlags([]string{"-token-secret", "flag"}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "flag", o.cfg.TokenSecret, "the flag wins over the environment")

	o, err = parseFlags([]string{"-pve-version", "7.4-20", "-qmp-states", "-permissions", "privsep-empty-lists"}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, pvesim.Version7, o.cfg.Version)
	assert.True(t, o.cfg.QMPStates)
	assert.Equal(t, pvesim.PrivSepEmptyLists, o.cfg.Permissions)

	for _, bad := range [][]string{{"-permissions", "root"}, {"-tls=false", "-ca-out", "x"}, {"extra"}, {"-pve-version", "8"}} {
		_, err = parseFlags(bad, env, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
}

func TestRunServesTLSAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	o, err := parseFlags([]string{"-listen", "127.0.0.1:0", "-ca-out", filepath.Join(dir, "ca.pem"),
		"-ready-file", filepath.Join(dir, "ready"), "-token-secret", "s"}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	var out bytes.Buffer
	o.stdout = &out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, o) }()

	var addr []byte
	require.Eventually(t, func() bool {
		addr, err = os.ReadFile(filepath.Join(dir, "ready"))
		return err == nil && len(addr) > 0
	}, 5*time.Second, 10*time.Millisecond)
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()

	req, err := http.NewRequest(http.MethodGet, "https://"+string(addr)+"/api2/json/version", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "PVEAPIToken="+pvesim.DefaultTokenID+"=s")
	resp, err := client.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)

	// a hung request must not block shutdown
	resp, err = client.Post("https://"+string(addr)+"/_sim/fault", "application/json", strings.NewReader(`{"hang_path":"/nodes"}`))
	require.NoError(t, err)
	resp.Body.Close()
	hung := make(chan struct{})
	go func() {
		defer close(hung)
		r, _ := http.NewRequest(http.MethodGet, "https://"+string(addr)+"/api2/json/nodes", nil)
		r.Header.Set("Authorization", "PVEAPIToken="+pvesim.DefaultTokenID+"=s")
		if resp, err := client.Do(r); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	<-hung
	// read only after run returned: the buffer is not synchronised
	assert.True(t, strings.HasPrefix(out.String(), "pvesim: serving 3 nodes, 24 guests on https://"+string(addr)+" ("+pvesim.DefaultTokenID+")"), out.String())
}
