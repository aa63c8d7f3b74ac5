// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var scaleConfig = Config{Nodes: 32, Guests: 10_000, Seed: 1}

func TestScale(t *testing.T) {
	start := time.Now()
	e := newEnv(t, scaleConfig)
	t.Logf("built 32 nodes / 10000 guests in %v", time.Since(start))

	start = time.Now()
	r := e.get(t, "/cluster/resources")
	t.Logf("served %d bytes of /cluster/resources in %v", len(r.body), time.Since(start))
	require.Equal(t, http.StatusOK, r.status)
	var env struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env))
	guests := 0
	for _, d := range env.Data {
		if d.Type == "qemu" || d.Type == "lxc" {
			guests++
		}
	}
	assert.Equal(t, 10_000, guests)
	assert.Len(t, list(t, e.data(t, "/nodes/pve32/qemu")), e.countGuests("pve32", "qemu"))
}

func (e *testEnv) countGuests(node, typ string) int {
	n := 0
	for _, g := range e.sim.cluster.Guests {
		if g.Node == node && g.Type == typ {
			n++
		}
	}
	return n
}

func BenchmarkClusterResources10k(b *testing.B) {
	sim := New(scaleConfig)
	srv := httptest.NewServer(sim.Handler())
	b.Cleanup(srv.Close)
	b.Cleanup(sim.Close)
	client := srv.Client()
	b.Cleanup(client.CloseIdleConnections)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api2/json/cluster/resources", nil)
	require.NoError(b, err)
	req.Header.Set("Authorization", defaultAuth())
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.SetBytes(n)
	}
}

func BenchmarkNew10k(b *testing.B) {
	for b.Loop() {
		New(scaleConfig)
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkClusterResources10kHandler measures the server side alone.
func BenchmarkClusterResources10kHandler(b *testing.B) {
	sim := New(scaleConfig)
	b.Cleanup(sim.Close)
	h := sim.Handler()
	req := httptest.NewRequest(http.MethodGet, "/api2/json/cluster/resources", nil)
	req.Header.Set("Authorization", defaultAuth())
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(&discardWriter{h: http.Header{}}, req)
	}
}
