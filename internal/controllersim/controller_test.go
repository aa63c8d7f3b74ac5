// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testSecret = "sim-test-secret"

var testNow = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

// guest is a valid endpoint: a VM NIC on pve1/vmbr0, untagged.
func guest() Endpoint {
	return Endpoint{
		MAC: "BC:24:11:C3:C7:41", IP: strPtr("192.0.2.10"), AdditionalIPs: []string{},
		Hostname: "web01", Classification: "virtual_machine",
		DeviceName: "pve1", SwitchPort: "vmbr0", VLAN: 0, LastSeen: "2026-11-22T12:00:00Z",
	}
}

func validBody() string {
	return `{"source":"proxmox","change_source":"proxmox","endpoints":[{"mac":"BC:24:11:C3:C7:41","ip":"192.0.2.10","additional_ips":["2001:db8::10"],"hostname":"web01","classification":"virtual_machine","device_name":"pve1","switch_port":"vmbr0","vlan":110,"last_seen":"2026-11-22T13:00:00Z"}]}`
}

func newTestServer(t *testing.T, cfg Config) (*Controller, *httptest.Server) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	c := New(cfg)
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

func post(t *testing.T, srv *httptest.Server, token, body string) (int, http.Header, []byte) {
	t.Helper()
	return do(t, srv, http.MethodPost, token, body)
}

func do(t *testing.T, srv *httptest.Server, method, token, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+UpsertPath, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: token})
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

func bodyOf(t *testing.T, source string, eps ...Endpoint) string {
	t.Helper()
	b, err := json.Marshal(UpsertRequest{Source: source, ChangeSource: source, Endpoints: eps})
	require.NoError(t, err)
	return string(b)
}

// sim is a Controller without a secret and a function sending one request
// of source "proxmox" through the route, expecting 200.
func sim(t *testing.T) (*Controller, func(eps ...Endpoint) []Result) {
	t.Helper()
	c, srv := newTestServer(t, Config{})
	return c, func(eps ...Endpoint) []Result {
		t.Helper()
		status, _, body := post(t, srv, "", bodyOf(t, "proxmox", eps...))
		require.Equal(t, http.StatusOK, status, string(body))
		var resp UpsertResponse
		require.NoError(t, json.Unmarshal(body, &resp))
		require.Len(t, resp.Results, len(eps))
		return resp.Results
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

func postFault(t *testing.T, srv *httptest.Server, body string) int {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+FaultPath, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func macN(i int) string {
	return fmt.Sprintf("BC:24:11:00:00:%02X", i)
}

func guestN(i int) Endpoint {
	e := guest()
	e.MAC = macN(i)
	e.IP = nil
	return e
}

// TestStoreFailureMidBatchKeepsEarlierEndpoints: the route calls
// endpoint_store.py upsert_endpoint once per endpoint, each committing its
// own session; when it raises on endpoints[k], 0..k-1 stay stored, the
// rest are not tried, and the answer is 500 with the contract's detail.
func TestStoreFailureMidBatchKeepsEarlierEndpoints(t *testing.T) {
	var rejected []string
	c, srv := newTestServer(t, Config{FailMAC: strings.ToLower(macN(2)), OnReject: func(status int, detail string) {
		assert.Equal(t, http.StatusInternalServerError, status)
		rejected = append(rejected, detail)
	}})
	status, _, body := post(t, srv, "", bodyOf(t, "proxmox", guestN(0), guestN(1), guestN(2), guestN(3)))
	require.Equal(t, http.StatusInternalServerError, status)
	assert.JSONEq(t, `{"detail":"store failed on endpoints[2] (MAC BC:24:11:00:00:02): OperationalError; endpoints[0..1] were stored, the rest were not"}`, string(body))
	assert.Equal(t, []string{"store failed on endpoints[2] (MAC BC:24:11:00:00:02): OperationalError; endpoints[0..1] were stored, the rest were not"}, rejected)

	var macs []string
	for _, e := range c.Endpoints() {
		macs = append(macs, e.MAC)
	}
	assert.Equal(t, []string{macN(0), macN(1)}, macs, "the endpoints before the failing one stay stored")
	st := c.Stats()
	assert.Equal(t, Stats{Requests: 1, ServerErrors: 1, Endpoints: 2, New: 2}, st)
	assert.Empty(t, c.Requests(), "a failed request is not an accepted one")

	// Resending is harmless: upsert_endpoint is idempotent for a repeated
	// record.
	status, _, body = post(t, srv, "", bodyOf(t, "proxmox", guestN(0), guestN(1)))
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"results":[{"mac":"BC:24:11:00:00:00","action":"unchanged","events":[]},{"mac":"BC:24:11:00:00:01","action":"unchanged","events":[]}]}`, string(body))

	// Failing on the first endpoint stores nothing.
	status, _, body = post(t, srv, "", bodyOf(t, "proxmox", guestN(2), guestN(4)))
	require.Equal(t, http.StatusInternalServerError, status)
	assert.JSONEq(t, `{"detail":"store failed on endpoints[0] (MAC BC:24:11:00:00:02): OperationalError; no endpoint was stored"}`, string(body))
	assert.Len(t, c.Endpoints(), 2)
}

// TestFaultFailMAC: the same store failure set over POST /_sim/fault, for a
// number of requests holding the MAC.
func TestFaultFailMAC(t *testing.T) {
	c, srv := newTestServer(t, Config{})
	require.Equal(t, http.StatusUnprocessableEntity, postFault(t, srv, `{"fail_mac":"not-a-mac"}`))
	require.Equal(t, http.StatusNoContent, postFault(t, srv, `{"fail_mac":"bc:24:11:00:00:01","times":1}`))

	status, _, _ := post(t, srv, "", bodyOf(t, "proxmox", guestN(0)))
	assert.Equal(t, http.StatusOK, status, "a request without the MAC does not use the fault up")
	status, _, body := post(t, srv, "", bodyOf(t, "proxmox", guestN(3), guestN(1)))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Contains(t, string(body), "store failed on endpoints[1] (MAC BC:24:11:00:00:01)")
	status, _, _ = post(t, srv, "", bodyOf(t, "proxmox", guestN(1)))
	assert.Equal(t, http.StatusOK, status, "times:1 is used up")

	st := c.Stats()
	assert.Equal(t, int64(1), st.Faulted)
	assert.Equal(t, int64(1), st.ServerErrors)
	assert.Len(t, c.Endpoints(), 3)
}

func TestFaults(t *testing.T) {
	c, srv := newTestServer(t, Config{})

	// Over HTTP: 503 with Retry-After, twice, then back to normal.
	require.Equal(t, http.StatusNoContent, postFault(t, srv, `{"status":503,"retry_after":"1","times":2}`))
	for range 2 {
		status, header, body := post(t, srv, "", validBody())
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.Equal(t, "1", header.Get("Retry-After"))
		assert.Contains(t, string(body), `"detail"`)
	}
	status, _, _ := post(t, srv, "", validBody())
	assert.Equal(t, http.StatusOK, status)

	// Down until cleared: the connection is closed without an answer.
	c.SetFault(Fault{Down: true})
	req, err := http.NewRequest(http.MethodPost, srv.URL+UpsertPath, strings.NewReader(validBody()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	_, err = srv.Client().Do(req)
	require.Error(t, err)

	require.Equal(t, http.StatusNoContent, postFault(t, srv, `{"clear":true}`))
	status, _, _ = post(t, srv, "", validBody())
	assert.Equal(t, http.StatusOK, status)

	st := c.Stats()
	assert.Equal(t, int64(3), st.Faulted)
	assert.Equal(t, int64(2), st.Accepted)
	assert.Equal(t, http.StatusUnprocessableEntity, postFault(t, srv, `{"status":200}`))
}

// TestNoUpsertRoute: stock MNM v1.0.1 has no upsert route; its
// main.py GET /api/endpoints/{mac} (endpoint_detail) matches the path, so
// Starlette answers a POST 405 before any dependency (require_auth) runs.
func TestNoUpsertRoute(t *testing.T) {
	c, srv := newTestServer(t, Config{Secret: testSecret, NoUpsertRoute: true})
	for _, token := range []string{"", Token(testSecret, testNow)} {
		status, header, body := post(t, srv, token, validBody())
		assert.Equal(t, http.StatusMethodNotAllowed, status)
		assert.Equal(t, "GET", header.Get("Allow"))
		assert.JSONEq(t, `{"detail":"Method Not Allowed"}`, string(body))
	}
	assert.Empty(t, c.Endpoints())
	assert.Equal(t, int64(2), c.Stats().Invalid)
}

// TestOtherMethods: main.py endpoint_detail (GET /api/endpoints/{mac})
// answers a GET of the path after require_auth, with no endpoint "upsert";
// another method than POST or GET is 405.
func TestOtherMethods(t *testing.T) {
	_, srv := newTestServer(t, Config{Secret: testSecret})
	status, _, body := do(t, srv, http.MethodGet, "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.JSONEq(t, `{"detail":"Not authenticated"}`, string(body))
	status, _, body = do(t, srv, http.MethodGet, Token(testSecret, testNow), "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"detail":"Endpoint not found"}`, string(body))
	status, header, body := do(t, srv, http.MethodPut, Token(testSecret, testNow), validBody())
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.Equal(t, "POST", header.Get("Allow"))
	assert.JSONEq(t, `{"detail":"Method Not Allowed"}`, string(body))
}

func TestSimRoutes(t *testing.T) {
	c, srv := newTestServer(t, Config{})
	status, _, _ := post(t, srv, "", validBody())
	require.Equal(t, http.StatusOK, status)
	moved := strings.Replace(validBody(), `"vmbr0"`, `"vmbr1"`, 1)
	status, _, _ = post(t, srv, "", moved)
	require.Equal(t, http.StatusOK, status)

	var eps []StoredEndpoint
	getJSON(t, srv.URL+EndpointsPath, &eps)
	require.Len(t, eps, 2)
	assert.Equal(t, c.Endpoints(), eps)
	assert.False(t, eps[0].Active)
	assert.Equal(t, "vmbr0", eps[0].SwitchPort)
	assert.True(t, eps[1].Active)
	assert.Equal(t, "proxmox", eps[1].Source)

	var events []Event
	getJSON(t, srv.URL+EventsPath, &events)
	require.Len(t, events, 2)
	assert.Equal(t, EventAppeared, events[0].Type)
	assert.Equal(t, EventMovedPort, events[1].Type)
	assert.True(t, testNow.Equal(events[1].Timestamp))

	var changes []Change
	getJSON(t, srv.URL+ChangesPath, &changes)
	assert.Equal(t, c.Changes(), changes)

	var an Anomalies
	getJSON(t, srv.URL+AnomaliesPath, &an)
	assert.Equal(t, Anomalies{IPConflicts: []IPConflict{}, MultiLocation: []MultiLocation{}}, an)

	var st Stats
	getJSON(t, srv.URL+StatsPath, &st)
	assert.Equal(t, int64(2), st.Endpoints)
	assert.Equal(t, int64(1), st.New)
	assert.Equal(t, int64(1), st.Updated)
}

// TestCallbacks: OnUpsert sums up each accepted request; OnReject gets each
// error answer, for a 401 with the reason the answer does not give.
func TestCallbacks(t *testing.T) {
	var sums []Summary
	var rejects []string
	c, srv := newTestServer(t, Config{
		Secret:   testSecret,
		OnUpsert: func(s Summary) { sums = append(sums, s) },
		OnReject: func(status int, detail string) { rejects = append(rejects, http.StatusText(status)+": "+detail) },
	})
	token := Token(testSecret, testNow)
	status, _, _ := post(t, srv, token, bodyOf(t, "proxmox", guestN(0), guestN(1)))
	require.Equal(t, http.StatusOK, status)
	status, _, _ = post(t, srv, token, bodyOf(t, "proxmox", guestN(0)))
	require.Equal(t, http.StatusOK, status)
	status, _, _ = post(t, srv, Token("other", testNow), validBody())
	require.Equal(t, http.StatusUnauthorized, status)

	assert.Equal(t, []Summary{
		{Source: "proxmox", ChangeSource: "proxmox", Endpoints: 2, New: 2},
		{Source: "proxmox", ChangeSource: "proxmox", Endpoints: 1, Unchanged: 1},
	}, sums)
	assert.Equal(t, []string{"Unauthorized: Not authenticated (invalid mnm_token signature)"}, rejects)
	assert.Len(t, c.Requests(), 2)
	assert.Equal(t, Stats{Requests: 3, Accepted: 2, Unauthorized: 1, Endpoints: 3, New: 2, Unchanged: 1}, c.Stats())
}
