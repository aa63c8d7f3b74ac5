// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionDefault(t *testing.T) {
	e := newEnv(t, Config{})
	assert.Equal(t, Version9, e.sim.Config().Version)
	assert.Equal(t, Version9, e.sim.Version())
	v := object(t, e.data(t, "/version"))
	assert.Equal(t, "9.1.4", v["version"])
	assert.Equal(t, "9.1", v["release"])
}

func runningCT(t *testing.T, c *Cluster) Guest {
	t.Helper()
	return findGuest(t, c, func(g Guest) bool { return g.Type == "lxc" && g.Status == "running" })
}

// TestVersion7 checks the PVE 7 answers: pve-container added
// /nodes/{node}/lxc/{vmid}/interfaces in 5.0.6 (PVE 8.1, commit 3d56c9c,
// debian/changelog); its PVE 7 branch stable-7 (4.4-x) has no such method in
// src/PVE/API2/LXC.pm, so pve-manager's rest_handler (PVE/HTTPServer.pm,
// branch stable-7) answers its default 501, formatted by
// libpve-http-server-perl 4.x (pve-http-server branch stable-7
// src/PVE/APIServer/Formatter/Standard.pm): {"data":null}, text in the
// reason phrase only.
func TestVersion7(t *testing.T) {
	e := newEnv(t, Config{Version: "7", OfflineNodes: 1})
	c := e.sim.Cluster()
	assert.Equal(t, Version7, e.sim.Version())

	// PVE <= 7 versions are X.Y-Z and the repoid has 8 hex digits
	// (pve-manager stable-7 Makefile: git rev-parse --short=8)
	r := e.get(t, "/version")
	require.Equal(t, http.StatusOK, r.status)
	assert.Regexp(t, `^\{"data":\{"release":"7\.4","version":"7\.4-20","repoid":"[0-9a-f]{8}"\}\}$`, string(r.body))

	ct := runningCT(t, c)
	offline := c.Nodes[len(c.Nodes)-1]
	require.False(t, offline.Online)
	for _, p := range []string{
		fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", ct.Node, ct.VMID),
		"/nodes/pve1/lxc/99999/interfaces",                        // no guest lookup: there is no handler
		"/nodes/nope/lxc/100/interfaces",                          // nor a proxy
		fmt.Sprintf("/nodes/%s/lxc/100/interfaces", offline.Name), // an offline node does not matter
	} {
		r := e.get(t, p)
		assert.Equal(t, http.StatusNotImplemented, r.status, p)
		assert.Equal(t, "Method 'GET "+p+"' not implemented", r.reason, p)
		assert.Equal(t, `{"data":null}`, string(r.body), p)
	}
	// authentication still comes first (pve-http-server
	// src/PVE/APIServer/AnyEvent.pm runs auth_handler before rest_handler)
	r, err := e.do(t, t.Context(), http.MethodGet, fmt.Sprintf("/api2/json/nodes/%s/lxc/%d/interfaces", ct.Node, ct.VMID), "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, r.status)

	// everything else still answers, and errors are PVE 7 style
	assert.Equal(t, http.StatusOK, e.get(t, fmt.Sprintf("/nodes/%s/lxc/%d/config", ct.Node, ct.VMID)).status)
	r = e.get(t, "/nodes/nope/status")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Equal(t, `{"data":null}`, string(r.body))
	assert.True(t, strings.HasPrefix(r.reason, "hostname lookup 'nope' failed"), r.reason)
}

func TestVersionSwitchAtRuntime(t *testing.T) {
	e := newEnv(t, Config{})
	ct := runningCT(t, e.sim.Cluster())
	ifaces := fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", ct.Node, ct.VMID)
	assert.Equal(t, http.StatusOK, e.get(t, ifaces).status)

	require.NoError(t, e.sim.SetVersion("7.4-20"))
	assert.Equal(t, Version7, e.sim.Version())
	assert.Equal(t, http.StatusNotImplemented, e.get(t, ifaces).status)
	require.NoError(t, e.sim.ApplyFault(FaultRequest{Version: "9"}))
	assert.Equal(t, http.StatusOK, e.get(t, ifaces).status)
	require.Error(t, e.sim.SetVersion("8"))
	assert.Equal(t, Version9, e.sim.Version())

	post := func(body string) int {
		resp, err := e.client.Post(e.srv.URL+"/_sim/fault", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusNoContent, post(`{"version":"7"}`))
	assert.Equal(t, http.StatusNotImplemented, e.get(t, ifaces).status)
	assert.Equal(t, "7.4-20", object(t, e.data(t, "/version"))["version"])
	assert.Equal(t, http.StatusNoContent, post(`{"clear":true}`), "clear goes back to the configured version")
	assert.Equal(t, Version9, e.sim.Version())
	assert.Equal(t, http.StatusOK, e.get(t, ifaces).status)
	assert.Equal(t, http.StatusBadRequest, post(`{"version":"8"}`))
	assert.Equal(t, http.StatusBadRequest, post(`{"version":"8","node_offline":"pve2"}`))
	assert.Equal(t, http.StatusOK, e.get(t, "/nodes/pve2/status").status, "a rejected request changes nothing")
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{"": Version9, "9": Version9, "9.1.4": Version9, "7": Version7, "7.4-20": Version7,
		"7.4": Version7, "8.0": Version80, "8.0.4": Version80, "8.4": Version84, "8.4.1": Version84} {
		got, err := ParseVersion(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"8", "8.1.4", "8.3", "x", "10"} {
		_, err := ParseVersion(bad)
		assert.Error(t, err, bad)
	}
	assert.Panics(t, func() { New(Config{Version: "8"}) })
}
