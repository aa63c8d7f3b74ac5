// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, Config{AuthFailDelay: 30 * time.Millisecond})
	e.sim.SetToken("user@pve!a=b", "s3cret")
	tests := []struct {
		name   string
		auth   string
		status int
		delay  bool
	}{
		{"missing", "", http.StatusUnauthorized, false},
		{"wrong secret", "PVEAPIToken=user@pve!a=b=nope", http.StatusUnauthorized, true},
		{"no separator", "PVEAPIToken=garbage", http.StatusUnauthorized, true},
		{"ticket cookie is not a token", "PVEAuthCookie=PVE:root@pam:1234", http.StatusUnauthorized, true},
		{"split at the last =", "PVEAPIToken=user@pve!a=b=s3cret", http.StatusOK, false},
		{"space form, uri-escaped", "PVEAPIToken user@pve!a%3Db=s3cret", http.StatusOK, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r, err := e.do(t, context.Background(), http.MethodGet, "/api2/json/version", tc.auth)
			require.NoError(t, err)
			assert.Equal(t, tc.status, r.status)
			if tc.status == http.StatusUnauthorized {
				assert.Empty(t, r.body, "401 has an empty body")
			}
			if tc.delay {
				assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
			}
		})
	}
}

func TestMethodNotAllowedIsCounted(t *testing.T) {
	e := newEnv(t, Config{})
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		r, err := e.do(t, context.Background(), m, "/api2/json/nodes/pve1/qemu/101/status/stop", defaultAuth())
		require.NoError(t, err)
		assert.Equal(t, http.StatusMethodNotAllowed, r.status)
		assert.Equal(t, "GET", r.header.Get("Allow"))
	}
	st := e.sim.Stats()
	assert.EqualValues(t, 3, st.NonGET)
	assert.EqualValues(t, 0, st.Total)
}

func TestStatsPerTemplate(t *testing.T) {
	e := newEnv(t, Config{})
	e.get(t, "/nodes/pve1/status")
	e.get(t, "/nodes/pve2/status")
	e.get(t, "/nodes/pve1/qemu/101/config")
	e.get(t, "/cluster/resources?type=vm")
	r := e.get(t, "/no/such/path")
	assert.Equal(t, http.StatusNotImplemented, r.status)
	assert.Equal(t, "Method 'GET /no/such/path' not implemented\n", errorMessage(t, r))
	st := e.sim.Stats()
	assert.Equal(t, map[string]int64{PathNodeStatus: 2, PathQemuConfig: 1, PathClusterResources: 1}, st.Paths)
	assert.EqualValues(t, 5, st.Total)
	assert.EqualValues(t, 1, st.Unknown)
	st.Paths[PathNodes] = 99 // a copy
	assert.NotContains(t, e.sim.Stats().Paths, PathNodes)
	e.sim.ResetStats()
	assert.Zero(t, e.sim.Stats().Total)
}

func TestLookupErrors(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.get(t, "/nodes/nope/status")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Contains(t, errorMessage(t, r), "hostname lookup 'nope' failed")
	r = e.get(t, "/nodes/pve1/qemu/99999/config")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Equal(t, "Configuration file 'nodes/pve1/qemu-server/99999.conf' does not exist\n", errorMessage(t, r))
	r, err := e.do(t, context.Background(), http.MethodGet, "/version", defaultAuth())
	require.NoError(t, err)
	assert.Equal(t, "no such file '/version'", string(r.body), "outside /api2/json is plain text")
}

func TestFaults(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.sim.Cluster()
	vm := findGuest(t, c, func(g Guest) bool { return g.Type == "qemu" && g.Agent == AgentRunning && g.Status == "running" })
	agentPath := "/nodes/" + vm.Node + "/qemu/" + itoa(vm.VMID) + "/agent/network-get-interfaces"

	t.Run("node offline", func(t *testing.T) {
		e.sim.SetNodeOffline("pve2", true)
		defer e.sim.ClearFaults()
		r := e.get(t, "/nodes/pve2/status")
		assert.Equal(t, 595, r.status)
		assert.Empty(t, r.body)
		assert.False(t, e.sim.Cluster().Nodes[1].Online)
		st := list(t, e.data(t, "/cluster/status"))
		assert.InDelta(t, 0, st[2]["online"], 0)
		e.sim.SetNodeOffline("pve2", false)
		assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve2/status").status)
	})
	t.Run("fail path", func(t *testing.T) {
		e.sim.FailPath(PathNodeStorage, 500, "storage 'nas' is not online")
		r := e.get(t, "/nodes/pve1/storage")
		assert.Equal(t, 500, r.status)
		assert.Equal(t, "storage 'nas' is not online\n", errorMessage(t, r))
		assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve1/status").status)
		e.sim.FailPath("", 0, "")
		assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve1/storage").status)
	})
	t.Run("malform path", func(t *testing.T) {
		e.sim.MalformPath(PathClusterResources)
		r := e.get(t, "/cluster/resources")
		assert.Equal(t, http.StatusOK, r.status)
		assert.False(t, json.Valid(r.body))
		e.sim.MalformPath("")
		assert.True(t, json.Valid(e.get(t, "/cluster/resources").body))
	})
	t.Run("auditor pve8", func(t *testing.T) {
		e.sim.SetPermissions(AuditorPVE8)
		defer e.sim.ClearFaults()
		r := e.get(t, agentPath)
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Equal(t, "Permission check failed (/vms/"+itoa(vm.VMID)+", VM.Monitor)\n", errorMessage(t, r))
		perms := object(t, e.data(t, "/access/permissions"))
		assert.NotContains(t, object(t, perms["/"]), "VM.GuestAgent.Audit")
	})
	t.Run("privsep empty lists, the old claim", func(t *testing.T) {
		e.sim.SetPermissions(PrivSepEmptyLists)
		defer e.sim.ClearFaults()
		assert.Empty(t, list(t, e.data(t, "/cluster/resources")))
		assert.Empty(t, list(t, e.data(t, "/nodes")))
		assert.Empty(t, object(t, e.data(t, "/access/permissions")))
		r := e.get(t, "/cluster/status")
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Equal(t, "Permission check failed (/, Sys.Audit)\n", errorMessage(t, r))
		r = e.get(t, "/nodes/pve1/status")
		assert.Equal(t, "Permission check failed (/nodes/pve1, Sys.Audit)\n", errorMessage(t, r))
	})
	t.Run("token change and clear", func(t *testing.T) {
		e.sim.SetToken("other@pve!x", "y")
		assert.Equal(t, http.StatusUnauthorized, e.get(t, "/version").status)
		e.sim.ClearFaults()
		assert.Equal(t, http.StatusOK, e.get(t, "/version").status)
	})
}

func TestHang(t *testing.T) {
	t.Run("released by client cancel", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.sim.HangPath(PathNodeStatus)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := e.do(t, ctx, http.MethodGet, "/api2/json/nodes/pve1/status", defaultAuth())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve1/storage").status, "other paths still answer")
	})
	t.Run("a client that gave up gets no answer at all", func(t *testing.T) {
		// Returning from the handler used to send an empty 200, which a
		// client racing its own deadline could read instead of a timeout.
		e := newEnv(t, Config{})
		e.sim.HangPath(PathNodeStatus)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api2/json/nodes/pve1/status", http.NoBody)
		req.Header.Set("Authorization", defaultAuth())
		rec := httptest.NewRecorder()
		assert.PanicsWithValue(t, http.ErrAbortHandler, func() { e.sim.Handler().ServeHTTP(rec, req) },
			"the connection is cut without an answer")
		assert.Empty(t, rec.Body.String())
	})
	t.Run("released by close", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.sim.HangNode("pve2")
		errc := make(chan error, 1)
		go func() {
			_, err := e.do(t, context.Background(), http.MethodGet, "/api2/json/nodes/pve2/storage", defaultAuth())
			errc <- err
		}()
		time.Sleep(30 * time.Millisecond)
		e.sim.Close()
		select {
		case err := <-errc:
			require.Error(t, err, "the connection is aborted")
		case <-time.After(5 * time.Second):
			t.Fatal("hung request not released by Close")
		}
	})
	t.Run("released by clear", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.sim.HangPath(PathVersion)
		got := make(chan int, 1)
		go func() {
			r, err := e.do(t, context.Background(), http.MethodGet, "/api2/json/version", defaultAuth())
			if err != nil {
				got <- -1
				return
			}
			got <- r.status
		}()
		select {
		case <-got:
			t.Fatal("request did not hang")
		case <-time.After(30 * time.Millisecond):
		}
		e.sim.ClearFaults()
		assert.Equal(t, http.StatusOK, <-got)
	})
}

func TestWorkerLimit(t *testing.T) {
	const latency = 40 * time.Millisecond
	e := newEnv(t, Config{Latency: latency, WorkersPerNode: 1})
	e.client.Transport.(*http.Transport).MaxConnsPerHost = 0
	parallel := func(paths ...string) time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		for _, p := range paths {
			wg.Go(func() {
				assert.Equal(t, http.StatusOK, e.get(t, p).status)
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	same := parallel("/nodes/pve1/status", "/nodes/pve1/storage", "/nodes/pve1/qemu", "/nodes/pve1/lxc")
	assert.GreaterOrEqual(t, same, 4*latency, "one slot serialises requests to one node")
	spread := parallel("/nodes/pve1/status", "/nodes/pve2/status", "/nodes/pve3/status")
	assert.Less(t, spread, 3*latency, "different nodes overlap")
}

func TestPVE7ErrorStyle(t *testing.T) {
	e := newEnv(t, Config{ErrorStyle: PVE7, OfflineNodes: 1})
	r := e.get(t, "/nodes/nope/status")
	assert.Equal(t, 500, r.status)
	assert.Equal(t, "hostname lookup 'nope' failed - failed to get address info for: nope: Name or service not known", r.reason)
	assert.JSONEq(t, `{"data":null}`, string(r.body))
	r = e.get(t, "/nodes/pve3/status")
	assert.Equal(t, 595, r.status)
	assert.Equal(t, "No route to host", r.reason)
	assert.Empty(t, r.body)
	r, err := e.do(t, context.Background(), http.MethodGet, "/api2/json/version", "")
	require.NoError(t, err)
	assert.Equal(t, "No ticket", r.reason)
	// success answers keep the connection usable
	assert.Equal(t, http.StatusOK, e.get(t, "/version").status)
}

func TestRawStatusLine(t *testing.T) {
	e := newEnv(t, Config{ErrorStyle: PVE7})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /api2/json/cluster/status HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 401 No ticket\r\n", line)
}

func TestControlEndpoints(t *testing.T) {
	e := newEnv(t, Config{})
	post := func(path, body string) int {
		resp, err := e.client.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	e.get(t, "/nodes")
	resp, err := e.client.Get(e.srv.URL + "/_sim/stats")
	require.NoError(t, err)
	var st Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	assert.EqualValues(t, 1, st.Paths[PathNodes])
	assert.Equal(t, http.StatusNoContent, post("/_sim/stats/reset", ""))
	assert.Zero(t, e.sim.Stats().Total)

	resp, err = e.client.Get(e.srv.URL + "/_sim/truth")
	require.NoError(t, err)
	var c Cluster
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	resp.Body.Close()
	assert.Len(t, c.Guests, DefaultGuests)

	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"node_offline":"pve2"}`))
	assert.Equal(t, 595, e.get(t, "/nodes/pve2/status").status)
	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"node_online":"pve2"}`))
	assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve2/status").status)
	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"fail_path":"/nodes/{node}/storage","status":503,"message":"busy"}`))
	assert.Equal(t, 503, e.get(t, "/nodes/pve1/storage").status)
	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"permissions":"privsep-no-acl"}`))
	assert.Equal(t, http.StatusForbidden, e.get(t, "/cluster/status").status)
	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"malform_path":"/version"}`))
	assert.False(t, json.Valid(e.get(t, "/version").body))
	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"clear":true}`))
	assert.Equal(t, http.StatusOK, e.get(t, "/cluster/status").status)
	assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve1/storage").status)
	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"token_id":"a@pve!b","token_secret":"c"}`))
	assert.Equal(t, http.StatusUnauthorized, e.get(t, "/version").status)
	assert.Equal(t, http.StatusNoContent, post("/_sim/fault", `{"clear":true}`))

	for _, bad := range []string{`{"node_offline":"pve9"}`, `{"hang_path":"/x"}`, `{"permissions":"root"}`, `{"fail_path":"/nodes","status":0}`, `{"bogus":1}`, `{"token_id":"a"}`} {
		assert.Equal(t, http.StatusBadRequest, post("/_sim/fault", bad), bad)
	}
}

func TestDeterminism(t *testing.T) {
	body := func(seed int64) []byte {
		e := newEnv(t, Config{Nodes: 5, Guests: 200, Seed: seed, OfflineNodes: 1})
		return e.get(t, "/cluster/resources").body
	}
	a, b := body(42), body(42)
	assert.True(t, bytes.Equal(a, b), "same seed, same bytes")
	assert.False(t, bytes.Equal(a, body(43)), "another seed, other values")
	assert.Equal(t, New(Config{Seed: 9}).Cluster(), New(Config{Seed: 9}).Cluster())
}

func TestOddValuesPathKeepsJSONValidWithWrongKinds(t *testing.T) {
	sim := New(Config{Nodes: 2, Guests: 6, Seed: 1})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	sim.OddValuesPath(PathClusterResources)
	sim.OddValuesPath(PathNodeStatus)

	var list struct{ Data []any }
	getJSONInto(t, srv.URL+"/api2/json/cluster/resources", sim.Config(), &list)
	if len(list.Data) < 4 || list.Data[0] != float64(42) || list.Data[1] != nil || list.Data[2] != "odd" {
		t.Fatalf("list not oddified: %v", list.Data[:min(4, len(list.Data))])
	}
	var obj struct{ Data map[string]any }
	getJSONInto(t, srv.URL+"/api2/json/nodes/pve1/status", sim.Config(), &obj)
	if obj.Data["memory"] != float64(7) || obj.Data["loadavg"] != nil {
		t.Fatalf("object not oddified: memory=%v loadavg=%v", obj.Data["memory"], obj.Data["loadavg"])
	}
}

func getJSONInto(t *testing.T, url string, cfg Config, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "PVEAPIToken="+cfg.TokenID+"="+cfg.TokenSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
