// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
	"github.com/mnm-net/otelcol-mnm/internal/testutil"
)

// repoRoot is where the shipped configurations live.
const repoRoot = "../.."

func collectorBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("OTELCOL_MNM_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot, "_build", "otelcol-mnm")
	}
	abs, err := filepath.Abs(bin)
	require.NoError(t, err)
	_, err = os.Stat(abs)
	require.NoError(t, err, "build the collector first: make build (or set OTELCOL_MNM_BIN)")
	return abs
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// simulatedCluster is the Proxmox simulator behind a TLS listener, with the
// CA file a client needs to trust it.
type simulatedCluster struct {
	sim    *pvesim.Simulator
	url    string // https://127.0.0.1:PORT
	caFile string
}

func startCluster(t *testing.T, cfg pvesim.Config) *simulatedCluster {
	t.Helper()
	sim := pvesim.New(cfg)
	srv := httptest.NewUnstartedServer(sim.Handler())
	srv.EnableHTTP2 = false
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases hung requests so Close can return
	caFile := filepath.Join(t.TempDir(), "pve-root-ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return &simulatedCluster{sim: sim, url: srv.URL, caFile: caFile}
}

// controller is the MNM controller stand-in; it can be taken down and
// brought back on the same address.
type controller struct {
	ctl    *controllersim.Controller
	secret string
	addr   string

	mu  sync.Mutex
	srv *http.Server
}

func startController(t *testing.T, secret string) *controller {
	t.Helper()
	return startControllerWith(t, controllersim.Config{Secret: secret})
}

// startControllerWith starts a stand-in configured by cfg (cfg.Secret is the
// secret the collector is given).
func startControllerWith(t *testing.T, cfg controllersim.Config) *controller {
	t.Helper()
	c := &controller{ctl: controllersim.New(cfg), secret: cfg.Secret, addr: freeAddr(t)}
	c.up(t)
	t.Cleanup(c.down)
	return c
}

func (c *controller) url() string { return "http://" + c.addr }

func (c *controller) up(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger briefly after down
		if l, err = net.Listen("tcp", c.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err)
	srv := &http.Server{Handler: c.ctl, ReadHeaderTimeout: 5 * time.Second}
	c.srv = srv
	go func() { _ = srv.Serve(l) }()
}

// down stops answering: connections are refused, as during an outage.
func (c *controller) down() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.srv.Shutdown(ctx)
		c.srv = nil
	}
}

// process is a child process whose output is kept for assertions.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *testutil.SyncBuffer
	done chan struct{}
}

// startProcess runs a command in its own process group and stops the whole
// group when the test ends, whatever happens.
func startProcess(t *testing.T, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	// Own process group, so stop reaches its children; Pdeathsig ends it even
	// when the test binary itself is killed and no cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := &testutil.SyncBuffer{}
	cmd.Stdout = out
	cmd.Stderr = out
	require.NoError(t, cmd.Start(), name)
	p := &process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("---- %s output ----\n%s", name, tail(out.String(), 6000))
		}
	})
	return p
}

// stop signals the process group and waits; SIGKILL after 10 s.
func (p *process) stop(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// collectorSetup describes one otelcol-mnm run on config/demo.yaml.
type collectorSetup struct {
	cluster        *simulatedCluster
	controller     *controller
	tokenSecret    string // defaults to the simulator's
	queueDir       string
	metricsEvery   string
	inventoryEvery string
	logLevel       string
	promAddr       string
	telemetryAddr  string   // the Collector's own metrics; a free port when empty
	overlays       []string // extra config files merged on top
	extraEnv       []string
}

func startCollector(t *testing.T, s *collectorSetup) *process {
	t.Helper()
	if s.promAddr == "" {
		s.promAddr = freeAddr(t)
	}
	if s.queueDir == "" {
		s.queueDir = t.TempDir()
	}
	if s.telemetryAddr == "" {
		s.telemetryAddr = freeAddr(t)
	}
	telemetryHost, telemetryPort, err := net.SplitHostPort(s.telemetryAddr)
	require.NoError(t, err)
	if s.tokenSecret == "" {
		s.tokenSecret = s.cluster.sim.Config().TokenSecret
	}
	env := []string{
		"PROXMOX_ENDPOINT=" + s.cluster.url,
		"PROXMOX_TOKEN_ID=" + s.cluster.sim.Config().TokenID,
		"PROXMOX_TOKEN_SECRET=" + s.tokenSecret,
		"PROXMOX_CA_FILE=" + s.cluster.caFile,
		"MNM_CONTROLLER_ENDPOINT=" + s.controller.url(),
		"MNM_CONTROLLER_SECRET=" + s.controller.secret,
		"MNM_QUEUE_DIR=" + s.queueDir,
		"MNM_METRICS_INTERVAL=" + orDefault(s.metricsEvery, "2s"),
		"MNM_INVENTORY_INTERVAL=" + orDefault(s.inventoryEvery, "3s"),
		"MNM_DISK_REFRESH_INTERVAL=10s",
		"MNM_PROMETHEUS_LISTEN=" + s.promAddr,
		"MNM_HEALTH_CHECK_LISTEN=" + freeAddr(t),
		"MNM_TELEMETRY_HOST=" + telemetryHost,
		"MNM_TELEMETRY_PORT=" + telemetryPort,
		"MNM_LOG_LEVEL=" + orDefault(s.logLevel, "info"),
	}
	env = append(env, s.extraEnv...)
	args := []string{"--config", filepath.Join(repoRoot, "config", "demo.yaml")}
	for _, o := range s.overlays {
		args = append(args, "--config", o)
	}
	secrets := []string{s.cluster.sim.Config().TokenSecret, s.tokenSecret, s.controller.secret}
	var p *process
	// Registered before the process so that it runs after the process stopped.
	t.Cleanup(func() {
		out := p.out.String()
		for _, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("a secret appears in the collector's output")
			}
		}
	})
	p = startProcess(t, "otelcol-mnm", env, collectorBinary(t), args...)
	return p
}

// waitForLog waits until the collector's output contains every fragment.
func (p *process) waitForLog(t *testing.T, within time.Duration, fragments ...string) {
	t.Helper()
	eventually(t, within, "log "+strings.Join(fragments, " | "), func() error {
		out := p.out.String()
		for _, f := range fragments {
			if !strings.Contains(out, f) {
				return fmt.Errorf("no %q yet", f)
			}
		}
		return nil
	})
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// prometheus is a real Prometheus server on loopback.
type prometheus struct {
	*process
	url string
	// name, bin and args start it again on the same address and data (restart).
	name, bin string
	args      []string
}

// prometheusServer is one Prometheus version the suite runs against.
type prometheusServer struct {
	name string // prometheus-2.42, prometheus-3.4
	bin  string
	v3   bool
}

// prometheusServers are Debian's Prometheus (2.42) and, with
// PROMETHEUS3_BIN (make e2e builds it: make prometheus3), Prometheus 3 as
// MNM's stack runs it.
func prometheusServers(t *testing.T) []prometheusServer {
	t.Helper()
	servers := []prometheusServer{debianPrometheus(t)}
	if bin := os.Getenv("PROMETHEUS3_BIN"); bin != "" {
		servers = append(servers, prometheusServer{name: "prometheus-3.4", bin: bin, v3: true})
	} else {
		t.Log("PROMETHEUS3_BIN is not set: Prometheus 3 is left out (make e2e builds and sets it)")
	}
	return servers
}

func debianPrometheus(t *testing.T) prometheusServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	require.NoError(t, err, "install Prometheus: apt-get install prometheus")
	return prometheusServer{name: "prometheus-2.42", bin: bin}
}

// prometheus3 is Prometheus 3, or a skip when PROMETHEUS3_BIN is not set.
func prometheus3(t *testing.T) prometheusServer {
	t.Helper()
	bin := os.Getenv("PROMETHEUS3_BIN")
	if bin == "" {
		t.Skip("PROMETHEUS3_BIN is not set: make e2e builds Prometheus 3 and sets it")
	}
	return prometheusServer{name: "prometheus-3.4", bin: bin, v3: true}
}

// startPrometheus runs Debian's prometheus with the shipped scrape jobs and
// rules, pointed at the collector (its Prometheus exporter, and its own
// metrics when telemetryAddr is set) and with short intervals.
func startPrometheus(t *testing.T, collectorAddr string, telemetryAddr ...string) *prometheus {
	t.Helper()
	return startPrometheusOn(t, debianPrometheus(t), collectorAddr, telemetryAddr...)
}

// startPrometheusOn is startPrometheus on the given Prometheus.
func startPrometheusOn(t *testing.T, server prometheusServer, collectorAddr string, telemetryAddr ...string) *prometheus {
	t.Helper()
	cfg := shippedPrometheusConfig(t, "prometheus.yml")
	cfg = strings.ReplaceAll(cfg, `"localhost:8889"`, `"`+collectorAddr+`"`)
	if len(telemetryAddr) > 0 {
		cfg = strings.ReplaceAll(cfg, `"localhost:8888"`, `"`+telemetryAddr[0]+`"`)
		require.Contains(t, cfg, telemetryAddr[0], "the shipped otelcol-mnm job must target localhost:8888")
	}
	require.Contains(t, cfg, collectorAddr, "the shipped scrape job must target localhost:8889")
	return runPrometheus(t, server.name, server.bin, writePrometheusDir(t, cfg))
}

// startOTLPPrometheus runs Prometheus 3 with the shipped push configuration
// (config/prometheus/prometheus-otlp.yml): it receives the metrics over OTLP
// and scrapes only the collector's own metrics at telemetryAddr.
func startOTLPPrometheus(t *testing.T, server prometheusServer, telemetryAddr string) *prometheus {
	t.Helper()
	cfg := shippedPrometheusConfig(t, "prometheus-otlp.yml")
	cfg = strings.ReplaceAll(cfg, `"localhost:8888"`, `"`+telemetryAddr+`"`)
	require.Contains(t, cfg, telemetryAddr, "the shipped otelcol-mnm job must target localhost:8888")
	return runPrometheus(t, server.name+"-otlp", server.bin, writePrometheusDir(t, cfg), "--web.enable-otlp-receiver")
}

// shippedPrometheusConfig reads config/prometheus/NAME with the intervals cut
// to seconds.
func shippedPrometheusConfig(t *testing.T, name string) string {
	t.Helper()
	shipped, err := os.ReadFile(filepath.Join(repoRoot, "config", "prometheus", name))
	require.NoError(t, err)
	cfg := strings.ReplaceAll(string(shipped), "scrape_interval: 60s", "scrape_interval: 2s")
	return strings.ReplaceAll(cfg, "evaluation_interval: 30s", "evaluation_interval: 1s")
}

// writePrometheusDir writes cfg as prometheus.yml beside a copy of the shipped
// rules, and returns the file.
func writePrometheusDir(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "rules"), 0o755))
	rules, err := filepath.Glob(filepath.Join(repoRoot, "config", "prometheus", "rules", "*.rules.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, rules)
	for _, r := range rules {
		b, err := os.ReadFile(r)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "rules", filepath.Base(r)), b, 0o600))
	}
	return filepath.Join(dir, "prometheus.yml")
}

// startRemoteWritePrometheus runs a Prometheus that only receives remote writes.
func startRemoteWritePrometheus(t *testing.T) *prometheus {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o600))
	return runPrometheus(t, "prometheus-remote-write", debianPrometheus(t).bin, cfg, "--web.enable-remote-write-receiver")
}

func runPrometheus(t *testing.T, name, bin, cfgFile string, extra ...string) *prometheus {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{
		"--config.file=" + cfgFile,
		"--storage.tsdb.path=" + filepath.Join(t.TempDir(), "data"),
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}, extra...)
	p := &prometheus{process: startProcess(t, name, nil, bin, args...), url: "http://" + addr, name: name, bin: bin, args: args}
	p.waitReady(t)
	return p
}

func (p *prometheus) waitReady(t *testing.T) {
	t.Helper()
	eventually(t, 60*time.Second, p.name+" ready", func() error {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
}

// start runs a stopped Prometheus again, on the same address and data.
func (p *prometheus) start(t *testing.T) {
	t.Helper()
	require.True(t, p.exited(), "%s is still running", p.name)
	p.process = startProcess(t, p.name, nil, p.bin, p.args...)
	p.waitReady(t)
}

// sample is one series of an instant query result.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s sample) float() float64 {
	var f float64
	_, _ = fmt.Sscan(fmt.Sprint(s.Value[1]), &f)
	return f
}

// sampleTimes runs an instant query of one range vector and returns the
// times (Unix seconds) of the samples of its first series.
func (p *prometheus) sampleTimes(t *testing.T, expr string) ([]float64, error) {
	t.Helper()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := p.getJSON("/api/v1/query?query="+url.QueryEscape(expr), &body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", expr, body.Error)
	}
	if len(body.Data.Result) == 0 {
		return nil, nil
	}
	var out []float64
	for _, v := range body.Data.Result[0].Values {
		ts, _ := v[0].(float64)
		out = append(out, ts)
	}
	return out, nil
}

// query runs an instant PromQL query.
func (p *prometheus) query(t *testing.T, expr string) ([]sample, error) {
	t.Helper()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := p.getJSON("/api/v1/query?query="+url.QueryEscape(expr), &body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", expr, body.Error)
	}
	if body.Data.ResultType == "scalar" {
		return []sample{{}}, nil
	}
	var out []sample
	err := json.Unmarshal(body.Data.Result, &out)
	return out, err
}

func (p *prometheus) getJSON(path string, out any) error {
	resp, err := http.Get(p.url + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("GET %s: %s: %w", path, tail(string(b), 300), err)
	}
	return nil
}

// eventually retries check until it returns nil or the time is up.
func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, within, err)
}

// firingAlerts lists the names of the firing alerts, sorted and unique.
func firingAlerts(prom *prometheus) ([]string, error) {
	var alerts struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := prom.getJSON("/api/v1/alerts", &alerts); err != nil {
		return nil, err
	}
	var names []string
	for _, a := range alerts.Data.Alerts {
		if a.State == "firing" && !slices.Contains(names, a.Labels["alertname"]) {
			names = append(names, a.Labels["alertname"])
		}
	}
	sort.Strings(names)
	return names, nil
}

// waitForAlerts waits until every alert of names fires.
func waitForAlerts(t *testing.T, prom *prometheus, names ...string) {
	t.Helper()
	eventually(t, 30*time.Second, "alerts firing", func() error {
		firing, err := firingAlerts(prom)
		if err != nil {
			return err
		}
		for _, want := range names {
			if !slices.Contains(firing, want) {
				return fmt.Errorf("%s not firing (firing: %v)", want, firing)
			}
		}
		return nil
	})
}
