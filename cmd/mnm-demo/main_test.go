// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/testutil"
)

// childModeEnv makes the test binary act as the Collector the demo runs.
const childModeEnv = "MNM_DEMO_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		os.Exit(fakeCollector(mode))
	}
	goleak.VerifyTestMain(m)
}

// fakeCollector stands in for otelcol-mnm: it uses the environment the demo
// gave it the way config/demo.yaml does, then behaves as mode says.
func fakeCollector(mode string) int {
	switch mode {
	case "exit3":
		return 3
	case "print-env":
		for _, k := range []string{envProxmoxEndpoint, envProxmoxTokenSecret, envControllerEndpoint, envQueueDir} {
			fmt.Printf("fake-collector: %s=%s\n", k, os.Getenv(k))
		}
		return 0
	case "ignore-signals":
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
		fmt.Println("fake-collector: ready")
		select {}
	case "serve":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		if err := useDemoServers(); err != nil {
			fmt.Println("fake-collector: error:", err)
			return 1
		}
		fmt.Printf("fake-collector: ready args=%v\n", os.Args[1:])
		fmt.Printf("fake-collector: got %v\n", <-sigs)
		return 0
	default:
		fmt.Println("fake-collector: unknown mode", mode)
		return 1
	}
}

// useDemoServers asks the simulator for its version with the token and CA of
// the environment, and upserts one endpoint with the controller secret.
func useDemoServers() error {
	if fi, err := os.Stat(os.Getenv(envQueueDir)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not a directory: %v", envQueueDir, err)
	}
	caPEM, err := os.ReadFile(os.Getenv(envProxmoxCAFile))
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("%s holds no certificate", envProxmoxCAFile)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	req, _ := http.NewRequest(http.MethodGet, os.Getenv(envProxmoxEndpoint)+"/api2/json/version", http.NoBody)
	req.Header.Set("Authorization", "PVEAPIToken="+os.Getenv(envProxmoxTokenID)+"="+os.Getenv(envProxmoxTokenSecret))
	if err := expectOK(client.Do(req)); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	body := `{"source":"proxmox","change_source":"proxmox","endpoints":[{"mac":"BC:24:11:C3:C7:41","ip":null,"additional_ips":[],"hostname":"web01","classification":"virtual_machine","device_name":"pve1","switch_port":"vmbr0","vlan":0,"last_seen":"2026-11-22T13:00:00Z"}]}`
	req, _ = http.NewRequest(http.MethodPost, os.Getenv(envControllerEndpoint)+controllersim.UpsertPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: controllersim.CookieName, Value: controllersim.Token(os.Getenv(envControllerSecret), time.Now())})
	if err := expectOK(client.Do(req)); err != nil {
		return fmt.Errorf("controller stand-in: %w", err)
	}
	return nil
}

func expectOK(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return nil
}

func TestParseFlags(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		require.NoError(t, err)
		return a
	}
	tests := []struct {
		name    string
		args    []string
		want    *options
		wantErr string
	}{
		{
			name: "defaults",
			args: []string{"-collector", "_build/otelcol-mnm"},
			want: &options{collector: abs("_build/otelcol-mnm"), config: abs("config/demo.yaml"), runDir: abs("_build/demo"), nodes: 3, guests: 36, grace: killAfter},
		},
		{
			name: "all flags",
			args: []string{"-collector", "/bin/otelcol-mnm", "-config", "/etc/c.yaml", "-run-dir", "/tmp/run", "-nodes", "5", "-guests", "100"},
			want: &options{collector: "/bin/otelcol-mnm", config: "/etc/c.yaml", runDir: "/tmp/run", nodes: 5, guests: 100, grace: killAfter},
		},
		{name: "collector missing", args: nil, wantErr: "-collector is required"},
		{name: "positional argument", args: []string{"-collector", "x", "extra"}, wantErr: "takes flags only"},
		{name: "no nodes", args: []string{"-collector", "x", "-nodes", "0"}, wantErr: "-nodes must be at least 1"},
		{name: "no guests", args: []string{"-collector", "x", "-guests", "-1"}, wantErr: "-guests must be at least 1"},
		{name: "unknown flag", args: []string{"-collector", "x", "-bogus"}, wantErr: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		set     map[string]string
		want    []string
	}{
		{
			name:    "override keeps position, new keys sorted at the end",
			environ: []string{"TERM=dumb", "PROXMOX_ENDPOINT=https://old:8006", "PATH=/bin"},
			set:     map[string]string{"PROXMOX_ENDPOINT": "https://127.0.0.1:1", "MNM_QUEUE_DIR": "/q", "A": "1"},
			want:    []string{"TERM=dumb", "PROXMOX_ENDPOINT=https://127.0.0.1:1", "PATH=/bin", "A=1", "MNM_QUEUE_DIR=/q"},
		},
		{
			name:    "duplicate of an overridden key dropped",
			environ: []string{"X=1", "X=2", "Y=3"},
			set:     map[string]string{"X": "new"},
			want:    []string{"X=new", "Y=3"},
		},
		{
			name:    "values with = and empty values",
			environ: []string{"Q=a=b", "E="},
			set:     map[string]string{"E": "x=y"},
			want:    []string{"Q=a=b", "E=x=y"},
		},
		{
			name:    "nothing to set",
			environ: []string{"A=1"},
			want:    []string{"A=1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, mergeEnv(tt.environ, tt.set))
		})
	}
}

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestWhatToSimulate(t *testing.T) {
	tests := []struct {
		name                string
		env                 map[string]string
		proxmox, controller bool
		metrics             string
	}{
		{name: "nothing set", proxmox: true, controller: true, metrics: "localhost:8889"},
		{name: "real cluster", env: map[string]string{envProxmoxEndpoint: "https://pve:8006"}, controller: true, metrics: "localhost:8889"},
		{name: "real controller", env: map[string]string{envControllerEndpoint: "https://mnm"}, proxmox: true, metrics: "localhost:8889"},
		{name: "token without endpoint still simulates", env: map[string]string{envProxmoxTokenID: "a@pve!b"}, proxmox: true, controller: true, metrics: "localhost:8889"},
		{name: "other metrics port", env: map[string]string{envPrometheusListen: "127.0.0.1:9999"}, proxmox: true, controller: true, metrics: "127.0.0.1:9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := envOf(tt.env)
			assert.Equal(t, tt.proxmox, simulateProxmox(getenv))
			assert.Equal(t, tt.controller, simulateController(getenv))
			assert.Equal(t, tt.metrics, metricsAddress(getenv))
		})
	}
}

// demoUnderTest runs the demo with the test binary as its Collector.
type demoUnderTest struct {
	sigs chan os.Signal
	out  *testutil.SyncBuffer
	code chan int
	err  error
}

func startDemo(t *testing.T, mode string, env map[string]string) *demoUnderTest {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	config := filepath.Join(dir, "demo.yaml")
	require.NoError(t, os.WriteFile(config, []byte("# not read by the fake collector\n"), 0o600))
	o := &options{collector: self, config: config, runDir: filepath.Join(dir, "run"), nodes: 2, guests: 6, grace: 300 * time.Millisecond}

	environ := []string{"PATH=" + os.Getenv("PATH"), childModeEnv + "=" + mode}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	d := &demoUnderTest{sigs: make(chan os.Signal, 2), out: &testutil.SyncBuffer{}, code: make(chan int, 1)}
	go func() {
		code, err := run(o, demoEnv{getenv: envOf(env), environ: environ}, d.sigs, d.out, d.out)
		d.err = err
		d.code <- code
	}()
	return d
}

func (d *demoUnderTest) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-d.code:
		require.NoError(t, d.err)
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("demo did not return; output:\n%s", d.out)
		return -1
	}
}

func TestRunSimulatesBothAndStopsOnSignal(t *testing.T) {
	d := startDemo(t, "serve", nil)
	require.Eventually(t, func() bool { return strings.Contains(d.out.String(), "fake-collector: ready") },
		20*time.Second, 20*time.Millisecond, "output:\n%s", d.out)
	d.sigs <- os.Interrupt
	require.Equal(t, 0, d.wait(t), d.out.String())

	out := d.out.String()
	assert.Contains(t, out, "Proxmox simulator: 2 nodes, 6 guests")
	assert.Contains(t, out, "controller stand-in: upsert source=proxmox change_source=proxmox endpoints=1 new=1")
	assert.Contains(t, out, "metrics: curl -s localhost:8889/metrics | grep mnm_proxmox_")
	assert.Regexp(t, `fake-collector: ready args=\[--config /\S+/demo.yaml\]`, out)
	assert.Contains(t, out, "fake-collector: got interrupt", "the signal was not forwarded to the Collector")
	assert.NotContains(t, out, "fake-collector: error")
}

func TestRunUsesRealClusterEnvironmentUnchanged(t *testing.T) {
	env := map[string]string{
		envProxmoxEndpoint:    "https://pve.example.test:8006",
		envProxmoxTokenSecret: "callers-secret",
		envControllerEndpoint: "https://mnm.example.test",
		envQueueDir:           "/should/be/replaced",
	}
	d := startDemo(t, "print-env", env)
	require.Equal(t, 0, d.wait(t), d.out.String())

	out := d.out.String()
	assert.Contains(t, out, "fake-collector: PROXMOX_ENDPOINT=https://pve.example.test:8006\n")
	assert.Contains(t, out, "fake-collector: PROXMOX_TOKEN_SECRET=callers-secret\n")
	assert.Contains(t, out, "fake-collector: MNM_CONTROLLER_ENDPOINT=https://mnm.example.test\n")
	assert.Regexp(t, `fake-collector: MNM_QUEUE_DIR=/\S+/run/queue\n`, out)
	assert.NotContains(t, out, "Proxmox simulator:")
	assert.NotContains(t, out, "controller stand-in:")
}

func TestRunExitsWithTheCollectorsCode(t *testing.T) {
	d := startDemo(t, "exit3", nil)
	assert.Equal(t, 3, d.wait(t), d.out.String())
	assert.Contains(t, d.out.String(), "exit code 3")
}

func TestRunKillsACollectorThatIgnoresSignals(t *testing.T) {
	d := startDemo(t, "ignore-signals", nil)
	require.Eventually(t, func() bool { return strings.Contains(d.out.String(), "fake-collector: ready") },
		20*time.Second, 20*time.Millisecond, "output:\n%s", d.out)
	start := time.Now()
	d.sigs <- syscall.SIGTERM
	require.Equal(t, 0, d.wait(t), d.out.String())
	assert.Less(t, time.Since(start), 10*time.Second, "the grace period was not applied")
	assert.Contains(t, d.out.String(), "otelcol-mnm stopped")
}

func TestRunRefusesMissingFiles(t *testing.T) {
	o := &options{collector: filepath.Join(t.TempDir(), "missing"), config: "x", runDir: t.TempDir(), nodes: 1, guests: 1, grace: time.Second}
	code, err := run(o, demoEnv{getenv: envOf(nil)}, nil, io.Discard, io.Discard)
	assert.Equal(t, 2, code)
	assert.ErrorContains(t, err, "run `make build` first")
}
