// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	req, err := http.NewRequest(http.MethodPost, srv.URL+UpsertPath, strings.NewReader(body))
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

func TestToken(t *testing.T) {
	// Computed independently of Token.
	h := hmac.New(sha256.New, []byte("k"))
	h.Write([]byte("1700000000"))
	assert.Equal(t, "1700000000."+hex.EncodeToString(h.Sum(nil))[:32], Token("k", time.Unix(1700000000, 0)))
	assert.NoError(t, verifyToken("k", Token("k", testNow), testNow, DefaultTokenTTL))
}

func TestAuth(t *testing.T) {
	_, srv := newTestServer(t, Config{Secret: testSecret})
	tests := []struct {
		name   string
		token  string
		status int
		detail string
	}{
		{name: "valid", token: Token(testSecret, testNow), status: http.StatusOK},
		{name: "one hour old", token: Token(testSecret, testNow.Add(-time.Hour)), status: http.StatusOK},
		{name: "missing", token: "", status: http.StatusUnauthorized, detail: "missing mnm_token cookie"},
		{name: "wrong secret", token: Token("other", testNow), status: http.StatusUnauthorized, detail: "invalid mnm_token signature"},
		{name: "expired", token: Token(testSecret, testNow.Add(-25*time.Hour)), status: http.StatusUnauthorized, detail: "expired mnm_token"},
		{name: "future", token: Token(testSecret, testNow.Add(time.Hour)), status: http.StatusUnauthorized, detail: "mnm_token issued in the future"},
		{name: "malformed", token: "garbage", status: http.StatusUnauthorized, detail: "malformed mnm_token: expected <unix_ts>.<signature>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, srv, tt.token, validBody())
			require.Equal(t, tt.status, status, string(body))
			if tt.detail != "" {
				assert.JSONEq(t, `{"detail":`+mustJSON(t, tt.detail)+`}`, string(body))
			}
		})
	}
}

func TestValidation(t *testing.T) {
	_, srv := newTestServer(t, Config{Secret: testSecret})
	replace := func(old, repl string) string { return strings.Replace(validBody(), old, repl, 1) }
	tests := []struct {
		name   string
		body   string
		status int
		detail string
	}{
		{name: "not json", body: "{", status: http.StatusBadRequest, detail: "invalid JSON body"},
		{name: "unknown field", body: replace(`"source"`, `"extra":1,"source"`), status: http.StatusBadRequest, detail: "unknown field"},
		{name: "missing ip", body: replace(`"ip":"192.0.2.10",`, ``), status: http.StatusUnprocessableEntity, detail: "endpoints[0].ip is required"},
		{name: "null ip ok", body: replace(`"192.0.2.10"`, `null`), status: http.StatusOK},
		{name: "lower-case mac", body: replace(`BC:24:11:C3:C7:41`, `bc:24:11:c3:c7:41`), status: http.StatusUnprocessableEntity, detail: "endpoints[0].mac"},
		{name: "bad ip", body: replace(`192.0.2.10`, `192.0.2`), status: http.StatusUnprocessableEntity, detail: "endpoints[0].ip"},
		{name: "null additional_ips", body: replace(`["2001:db8::10"]`, `null`), status: http.StatusUnprocessableEntity, detail: "additional_ips"},
		{name: "vlan out of range", body: replace(`110`, `4095`), status: http.StatusUnprocessableEntity, detail: "vlan"},
		{name: "last_seen not utc", body: replace(`13:00:00Z`, `13:00:00+01:00`), status: http.StatusUnprocessableEntity, detail: "UTC"},
		{name: "no endpoints", body: `{"source":"proxmox","change_source":"proxmox","endpoints":[]}`, status: http.StatusUnprocessableEntity, detail: "endpoints must not be empty"},
		{name: "no source", body: replace(`"source":"proxmox"`, `"source":""`), status: http.StatusUnprocessableEntity, detail: "source is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, srv, Token(testSecret, testNow), tt.body)
			require.Equal(t, tt.status, status, string(body))
			assert.Contains(t, string(body), tt.detail)
		})
	}
}

func TestStoreActions(t *testing.T) {
	c, srv := newTestServer(t, Config{})
	steps := []struct {
		name   string
		body   string
		action string
		events []string
	}{
		{name: "first", body: validBody(), action: ActionNew, events: []string{"created"}},
		{name: "again", body: validBody(), action: ActionUnchanged, events: []string{}},
		{name: "later, same data", body: strings.Replace(validBody(), "13:00:00Z", "14:00:00Z", 1), action: ActionUnchanged, events: []string{}},
		{name: "hostname and ip change", body: strings.NewReplacer("web01", "web02", `"192.0.2.10"`, "null", "13:00:00Z", "15:00:00Z").Replace(validBody()), action: ActionUpdated, events: []string{"ip_changed", "hostname_changed"}},
		{name: "stale", body: validBody(), action: ActionSkipped, events: []string{"stale"}},
		{name: "other vlan is another endpoint", body: strings.Replace(validBody(), `"vlan":110`, `"vlan":0`, 1), action: ActionNew, events: []string{"created"}},
	}
	for _, st := range steps {
		status, _, body := post(t, srv, "", st.body)
		require.Equal(t, http.StatusOK, status, "%s: %s", st.name, body)
		var resp UpsertResponse
		require.NoError(t, json.Unmarshal(body, &resp), st.name)
		require.Len(t, resp.Results, 1, st.name)
		assert.Equal(t, Result{MAC: "BC:24:11:C3:C7:41", Action: st.action, Events: st.events}, resp.Results[0], st.name)
	}
	eps := c.Endpoints()
	require.Len(t, eps, 2)
	assert.Equal(t, 0, eps[0].VLAN)
	assert.Equal(t, "web02", eps[1].Hostname)
	assert.Nil(t, eps[1].IP)
	assert.Equal(t, 1, eps[1].Updates)
	assert.Equal(t, Stats{Requests: 6, Accepted: 6, Endpoints: 6, New: 2, Updated: 1, Unchanged: 2, Skipped: 1}, c.Stats())
	assert.Len(t, c.Requests(), 6)
}

func TestFaults(t *testing.T) {
	c, srv := newTestServer(t, Config{})

	// Over HTTP: 503 with Retry-After, twice, then back to normal.
	resp, err := srv.Client().Post(srv.URL+FaultPath, "application/json", strings.NewReader(`{"status":503,"retry_after":"1","times":2}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
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

	resp, err = srv.Client().Post(srv.URL+FaultPath, "application/json", strings.NewReader(`{"clear":true}`))
	require.NoError(t, err)
	resp.Body.Close()
	status, _, _ = post(t, srv, "", validBody())
	assert.Equal(t, http.StatusOK, status)

	st := c.Stats()
	assert.Equal(t, int64(3), st.Faulted)
	assert.Equal(t, int64(2), st.Accepted)
}

func TestSimRoutes(t *testing.T) {
	_, srv := newTestServer(t, Config{})
	status, _, _ := post(t, srv, "", validBody())
	require.Equal(t, http.StatusOK, status)

	var eps []StoredEndpoint
	getJSON(t, srv.URL+EndpointsPath, &eps)
	require.Len(t, eps, 1)
	assert.Equal(t, "pve1", eps[0].DeviceName)
	assert.Equal(t, "proxmox", eps[0].Source)

	var st Stats
	getJSON(t, srv.URL+StatsPath, &st)
	assert.Equal(t, int64(1), st.Endpoints)

	resp, err := srv.Client().Post(srv.URL+FaultPath, "application/json", bytes.NewReader([]byte(`{"status":200}`)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	resp, err = srv.Client().Get(srv.URL + UpsertPath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestLimits(t *testing.T) {
	var rejected []int
	c, srv := newTestServer(t, Config{
		MaxEndpoints:      2,
		MaxHostnameLength: 5,
		OnReject:          func(status int, _ string) { rejected = append(rejected, status) },
	})
	ep := func(mac, hostname string) string {
		return `{"mac":"` + mac + `","ip":null,"additional_ips":[],"hostname":"` + hostname + `","classification":"","device_name":"pve1","switch_port":"vmbr0","vlan":0,"last_seen":"2026-11-22T13:00:00Z"}`
	}
	body := func(eps ...string) string {
		return `{"source":"proxmox","change_source":"proxmox","endpoints":[` + strings.Join(eps, ",") + `]}`
	}

	status, _, resp := post(t, srv, "", body(ep("BC:24:11:00:00:01", "a"), ep("BC:24:11:00:00:02", "b"), ep("BC:24:11:00:00:03", "c")))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, string(resp), "too many endpoints in one request: 3, at most 2")

	// One hostname too long: 500, and the other endpoint of the request is
	// not stored either.
	status, _, resp = post(t, srv, "", body(ep("BC:24:11:00:00:01", "short"), ep("BC:24:11:00:00:02", "toolong")))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.JSONEq(t, `{"detail":"value too long for type character varying(5) (endpoints[1].hostname of BC:24:11:00:00:02 has 7 characters)"}`, string(resp))
	assert.Empty(t, c.Endpoints())

	status, _, resp = post(t, srv, "", body(ep("BC:24:11:00:00:01", "short"), ep("BC:24:11:00:00:03", "héllo")))
	require.Equal(t, http.StatusOK, status, string(resp))
	assert.Len(t, c.Endpoints(), 2)

	st := c.Stats()
	assert.Equal(t, int64(3), st.Requests)
	assert.Equal(t, int64(1), st.Invalid)
	assert.Equal(t, int64(1), st.ServerErrors)
	assert.Equal(t, int64(1), st.Accepted)
	assert.Equal(t, []int{http.StatusRequestEntityTooLarge, http.StatusInternalServerError}, rejected)
}
