// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// proxmoxNode answers /cluster/status as pveproxy would, counting requests.
type proxmoxNode struct {
	srv      *httptest.Server
	requests atomic.Int32
	status   atomic.Int32 // 0: 200
	proxmox  atomic.Bool  // answers carry pveproxy's Server header
}

func newProxmoxNode(t *testing.T) *proxmoxNode {
	n := &proxmoxNode{}
	n.proxmox.Store(true)
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.requests.Add(1)
		if n.proxmox.Load() {
			w.Header().Set("Server", "pve-api-daemon/3.0")
		}
		if code := int(n.status.Load()); code != 0 {
			w.WriteHeader(code)
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"type":"cluster","name":"c1","quorate":1}]}`))
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// closedAddress is an address nothing listens on: connection refused.
func closedAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

func newFailoverClient(t *testing.T, endpoints ...string) (*client, *Stats, *time.Time) {
	stats := NewStats()
	c := New(&http.Client{Timeout: 300 * time.Millisecond}, Settings{Endpoints: endpoints, ProbeInterval: time.Minute,
		TokenID: "monitor@pve!mnm", TokenSecret: "s", MaxConcurrentRequestsPerNode: 2, Stats: stats, Logger: zap.NewNop()}).(*client)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	c.endpoints.now = func() time.Time { return now }
	return c, stats, &now
}

func TestFailoverToTheNextEndpointAndBack(t *testing.T) {
	live := newProxmoxNode(t)
	down := closedAddress(t)
	c, stats, now := newFailoverClient(t, down, live.srv.URL)

	_, err := c.ClusterStatus(context.Background())
	require.NoError(t, err, "the second endpoint answers for the cluster")
	current, failovers := stats.Endpoint()
	assert.Equal(t, live.srv.Listener.Addr().String(), current)
	assert.EqualValues(t, 1, failovers)

	// The failed endpoint is not tried again before its probe is due.
	for range 3 {
		_, err = c.ClusterStatus(context.Background())
		require.NoError(t, err)
	}
	assert.EqualValues(t, 4, live.requests.Load())
	_, failovers = stats.Endpoint()
	assert.EqualValues(t, 1, failovers, "one failover, not one per request")

	// The first endpoint comes back: after the probe interval it serves again.
	first := newProxmoxNode(t)
	c.endpoints.list[0] = endpoint{base: first.srv.URL + apiPrefix, address: first.srv.URL, label: first.srv.Listener.Addr().String()}
	_, err = c.ClusterStatus(context.Background())
	require.NoError(t, err)
	assert.Zero(t, first.requests.Load(), "no probe before the interval")
	*now = now.Add(time.Minute)
	_, err = c.ClusterStatus(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, first.requests.Load(), "the probe")
	current, _ = stats.Endpoint()
	assert.Equal(t, first.srv.Listener.Addr().String(), current, "the first endpoint serves again")
	_, err = c.ClusterStatus(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, first.requests.Load())
}

func TestFailedProbeStaysOnTheServingEndpoint(t *testing.T) {
	live := newProxmoxNode(t)
	c, stats, now := newFailoverClient(t, closedAddress(t), live.srv.URL)
	_, err := c.ClusterStatus(context.Background())
	require.NoError(t, err)
	*now = now.Add(time.Minute)
	_, err = c.ClusterStatus(context.Background())
	require.NoError(t, err, "a failed probe falls back on the serving endpoint")
	_, failovers := stats.Endpoint()
	assert.EqualValues(t, 1, failovers, "a failed probe is not another failover")
}

func TestFailoverFromAHangingEndpoint(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	live := newProxmoxNode(t)
	c, _, _ := newFailoverClient(t, hang.URL, live.srv.URL)
	_, err := c.ClusterStatus(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, live.requests.Load())
}

func TestProxmoxErrorsAreTheClusterAnswer(t *testing.T) {
	for _, tt := range []struct {
		name     string
		status   int
		proxmox  bool
		failover bool
	}{
		{name: "500 from pveproxy", status: 500, proxmox: true},
		{name: "595 from pveproxy", status: 595, proxmox: true},
		{name: "401 from pveproxy", status: 401, proxmox: true},
		{name: "502 from a proxy in front", status: 502, failover: true},
		{name: "503 from a proxy in front", status: 503, failover: true},
		{name: "404 from a proxy in front", status: 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			first, second := newProxmoxNode(t), newProxmoxNode(t)
			first.status.Store(int32(tt.status))
			first.proxmox.Store(tt.proxmox)
			c, _, _ := newFailoverClient(t, first.srv.URL, second.srv.URL)
			_, err := c.ClusterStatus(context.Background())
			if tt.failover {
				require.NoError(t, err)
				assert.EqualValues(t, 1, second.requests.Load())
				return
			}
			require.Error(t, err)
			assert.Zero(t, second.requests.Load(), "a Proxmox answer is not asked again elsewhere")
		})
	}
}

func TestEveryEndpointDownNamesTheLast(t *testing.T) {
	a, b := closedAddress(t), closedAddress(t)
	c, _, _ := newFailoverClient(t, a, b)
	_, err := c.ClusterStatus(context.Background())
	require.ErrorIs(t, err, ErrUnreachable)
	assert.ErrorContains(t, err, b[len("http://"):])
}
