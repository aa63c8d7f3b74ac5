// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunServesAndPrintsOneLinePerUpsert(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	out := &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-ready-file", ready}, out,
			func(key string) string {
				if key == secretEnv {
					return "from-env"
				}
				return ""
			})
	}()

	var baseURL string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(ready)
		baseURL = strings.TrimSpace(string(b))
		return err == nil && baseURL != ""
	}, 10*time.Second, 10*time.Millisecond)

	body := `{"source":"proxmox","change_source":"proxmox","endpoints":[{"mac":"BC:24:11:C3:C7:41","ip":null,"additional_ips":[],"hostname":"web01","classification":"container","device_name":"pve1","switch_port":"vmbr0","vlan":0,"last_seen":"2026-11-22T13:00:00Z"}]}`
	send := func(token string) int {
		req, err := http.NewRequest(http.MethodPost, baseURL+controllersim.UpsertPath, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: controllersim.CookieName, Value: token})
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, send(controllersim.Token("from-env", time.Now())))
	assert.Equal(t, http.StatusUnauthorized, send(controllersim.Token("wrong", time.Now())))

	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "upsert source=proxmox change_source=proxmox endpoints=1 new=1 updated=0 unchanged=0 skipped=0")
	// The answer says only "Not authenticated" (MNM's main.py require_auth);
	// the line adds the reason.
	assert.Contains(t, out.String(), `rejected status=401 detail="Not authenticated (invalid mnm_token signature)"`)
	assert.NotContains(t, out.String(), "from-env")
}

func TestRunRejectsBadFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no secret", args: []string{"-listen", "127.0.0.1:0"}, want: "a secret is required"},
		{name: "not loopback", args: []string{"-listen", "0.0.0.0:0", "-secret", "s"}, want: "only loopback addresses are allowed"},
		{name: "negative limit", args: []string{"-listen", "127.0.0.1:0", "-secret", "s", "-max-endpoints", "-1"}, want: "must not be negative"},
		{name: "bad fail-mac", args: []string{"-listen", "127.0.0.1:0", "-secret", "s", "-fail-mac", "BC-24-11-00-00-01"}, want: "expected a colon-separated MAC address"},
		{name: "removed flag", args: []string{"-listen", "127.0.0.1:0", "-secret", "s", "-max-hostname-length", "3"}, want: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, &bytes.Buffer{}, noEnv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// startSim runs the command with args and returns its base URL, its output
// and a function stopping it.
func startSim(t *testing.T, args ...string) (string, *testutil.SyncBuffer, func()) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	out := &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-listen", "127.0.0.1:0", "-ready-file", ready, "-secret", "s"}, args...), out,
			func(string) string { return "" })
	}()
	var baseURL string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(ready)
		baseURL = strings.TrimSpace(string(b))
		return err == nil && baseURL != ""
	}, 10*time.Second, 10*time.Millisecond)
	return baseURL, out, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

func endpointJSON(mac string) string {
	return `{"mac":"` + mac + `","ip":null,"additional_ips":[],"hostname":"h","classification":"","device_name":"pve1","switch_port":"vmbr0","vlan":0,"last_seen":"2026-11-22T13:00:00Z"}`
}

// sendTo posts the endpoints to baseURL's upsert path with a valid token.
func sendTo(t *testing.T, baseURL string, eps ...string) (int, http.Header) {
	t.Helper()
	body := `{"source":"proxmox","change_source":"proxmox","endpoints":[` + strings.Join(eps, ",") + `]}`
	req, err := http.NewRequest(http.MethodPost, baseURL+controllersim.UpsertPath, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: controllersim.CookieName, Value: controllersim.Token("s", time.Now())})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func TestRunLimitsAndStoreFailure(t *testing.T) {
	baseURL, out, stop := startSim(t, "-max-endpoints", "2", "-fail-mac", "bc:24:11:00:00:03")
	status, _ := sendTo(t, baseURL, endpointJSON("BC:24:11:00:00:01"), endpointJSON("BC:24:11:00:00:02"), endpointJSON("BC:24:11:00:00:04"))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	status, _ = sendTo(t, baseURL, endpointJSON("BC:24:11:00:00:01"), endpointJSON("BC:24:11:00:00:03"))
	assert.Equal(t, http.StatusInternalServerError, status)
	status, _ = sendTo(t, baseURL, endpointJSON("BC:24:11:00:00:01"), endpointJSON("BC:24:11:00:00:02"))
	assert.Equal(t, http.StatusOK, status)
	stop()

	assert.Contains(t, out.String(), "rejected status=413")
	assert.Contains(t, out.String(), `rejected status=500 detail="store failed on endpoints[1] (MAC BC:24:11:00:00:03): OperationalError; endpoints[0..0] were stored, the rest were not"`)
	// BC:24:11:00:00:01 was stored before the failure: unchanged now.
	assert.Contains(t, out.String(), "upsert source=proxmox change_source=proxmox endpoints=2 new=1 updated=0 unchanged=1 skipped=0")
}

func TestRunNoUpsertRoute(t *testing.T) {
	baseURL, out, stop := startSim(t, "-no-upsert-route")
	status, header := sendTo(t, baseURL, endpointJSON("BC:24:11:00:00:01"))
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.Equal(t, "GET", header.Get("Allow"))
	stop()
	assert.Contains(t, out.String(), `rejected status=405 detail="Method Not Allowed"`)
}
