// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The route validates the whole request before it calls
// endpoint_store.py upsert_endpoint for any endpoint (contract v2).

// detailOf decodes a FastAPI-style 422 body.
func detailOf(t *testing.T, body []byte) []ValidationError {
	t.Helper()
	var resp struct {
		Detail []ValidationError `json:"detail"`
	}
	require.NoError(t, json.Unmarshal(body, &resp), string(body))
	require.NotEmpty(t, resp.Detail, string(body))
	return resp.Detail
}

func locString(loc []any) string {
	parts := make([]string, len(loc))
	for i, p := range loc {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

// TestValidationRules: each rule of the contract refuses a request with 422
// naming the field at body.endpoints.<i>.<field> (FastAPI's loc), and a
// value within the rules is accepted.
func TestValidationRules(t *testing.T) {
	_, srv := newTestServer(t, Config{})
	// The endpoint at index 1 is edited; the one at index 0 is valid.
	const prefix = `{"source":"proxmox","change_source":"proxmox","endpoints":[{"mac":"BC:24:11:00:00:01","ip":null,"additional_ips":[],"hostname":"","classification":"","device_name":"","switch_port":"","vlan":0,"last_seen":"2026-11-22T13:00:00Z"},`
	valid := map[string]string{
		"mac": `"BC:24:11:C3:C7:41"`, "ip": `"192.0.2.10"`, "additional_ips": `["2001:db8::10"]`, "hostname": `"web01"`,
		"classification": `"virtual_machine"`, "device_name": `"pve1"`, "switch_port": `"vmbr0"`, "vlan": `110`,
		"last_seen": `"2026-11-22T13:00:00Z"`,
	}
	order := []string{"mac", "ip", "additional_ips", "hostname", "classification", "device_name", "switch_port", "vlan", "last_seen", "first_seen"}
	endpoint := func(field, value string) string {
		var parts []string
		for _, name := range order {
			v, ok := valid[name]
			if name == field {
				v, ok = value, value != "<absent>"
			}
			if ok {
				parts = append(parts, fmt.Sprintf("%q:%s", name, v))
			}
		}
		return prefix + "{" + strings.Join(parts, ",") + "}]}"
	}
	ips := func(n int) string {
		var s []string
		for i := range n {
			s = append(s, fmt.Sprintf(`"10.0.%d.%d"`, i/250, i%250+1))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	long := func(n int) string { return `"` + strings.Repeat("é", n) + `"` }

	tests := []struct {
		field string
		value string
		ok    bool
	}{
		{"mac", `<absent>`, false},
		{"mac", `"bc:24:11:c3:c7:41"`, false},
		{"mac", `"BC-24-11-C3-C7-41"`, false},
		{"mac", `"BC:24:11:C3:C7"`, false},
		{"mac", `null`, false},
		{"ip", `<absent>`, false},
		{"ip", `null`, true},
		{"ip", `"2001:db8::1"`, true},
		{"ip", `"192.0.2"`, false},
		{"ip", `"192.0.2.10/24"`, false},
		{"ip", `"fe80::1%eth0"`, false},
		{"ip", `""`, false},
		{"ip", `17`, false},
		{"additional_ips", `<absent>`, false},
		{"additional_ips", `[]`, true},
		{"additional_ips", `null`, false},
		{"additional_ips", `["192.0.2.1","192.0.2.1"]`, false},
		{"additional_ips", `["not-an-ip"]`, false},
		{"additional_ips", ips(256), true},
		{"additional_ips", ips(257), false},
		{"hostname", `<absent>`, false},
		{"hostname", `""`, true},
		{"hostname", long(255), true},
		{"hostname", long(256), false},
		{"hostname", `"web\u000001"`, false},
		{"hostname", `"web\t01"`, false},
		{"hostname", `"web\u007f01"`, false},
		{"hostname", `"web\u008501"`, false},
		{"hostname", `null`, false},
		{"classification", `<absent>`, false},
		{"classification", `""`, true},
		{"classification", long(64), true},
		{"classification", long(65), false},
		{"classification", `"vm\n"`, false},
		{"device_name", `<absent>`, false},
		{"device_name", long(255), true},
		{"device_name", long(256), false},
		{"device_name", `"pve\u00011"`, false},
		{"switch_port", `<absent>`, false},
		{"switch_port", long(256), false},
		{"switch_port", `"vmbr\u001b0"`, false},
		{"vlan", `<absent>`, false},
		{"vlan", `0`, true},
		{"vlan", `4094`, true},
		{"vlan", `4095`, false},
		{"vlan", `-1`, false},
		{"vlan", `true`, false},
		{"vlan", `"110"`, false},
		{"vlan", `110.0`, false},
		{"vlan", `1e2`, false},
		{"vlan", `null`, false},
		{"vlan", `99999999999999999999`, false},
		{"last_seen", `<absent>`, false},
		{"last_seen", `"2026-11-22T13:00:00.123Z"`, true},
		{"last_seen", `"2026-11-22T13:00:00+01:00"`, false},
		{"last_seen", `"2026-11-22T13:00:00+00:00"`, false},
		{"last_seen", `"2026-11-22 13:00:00Z"`, false},
		{"last_seen", `"yesterday"`, false},
		{"last_seen", `1763816400`, false},
		{"first_seen", `<absent>`, true},
		{"first_seen", `"2026-11-01T00:00:00Z"`, true},
		{"first_seen", `"2026-11-22T13:00:00Z"`, true},
		{"first_seen", `"2026-11-22T13:00:01Z"`, false},
		{"first_seen", `"2026-11-01T00:00:00+01:00"`, false},
		{"first_seen", `"soon"`, false},
		{"first_seen", `null`, true}, // absent, as the route reads it (models.py Endpoint.first_seen Optional)
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			status, _, body := post(t, srv, "", endpoint(tt.field, tt.value))
			if tt.ok {
				require.Equal(t, http.StatusOK, status, string(body))
				return
			}
			require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
			detail := detailOf(t, body)
			require.Len(t, detail, 1, string(body))
			// The field, or an item of it (additional_ips.3).
			assert.Regexp(t, `^body\.endpoints\.1\.`+tt.field+`(\.\d+)?$`, locString(detail[0].Loc))
			assert.NotEmpty(t, detail[0].Msg)
			assert.NotEmpty(t, detail[0].Type)
		})
	}
}

// TestValidationTypes: the error types FastAPI gives for a missing field, an
// unknown one, a wrong type, and value_error for a rule.
func TestValidationTypes(t *testing.T) {
	_, srv := newTestServer(t, Config{})
	status, _, body := post(t, srv, "", strings.NewReplacer(
		`"vlan":110`, `"vlan":"110","vlna":110`,
		`"hostname":"web01",`, ``,
		`"mac":"BC:24:11:C3:C7:41"`, `"mac":"bc:24:11:c3:c7:41"`,
		`"source":"proxmox"`, `"source":"proxmox","extra":1`,
	).Replace(validBody()))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	var resp map[string][]map[string]any
	require.NoError(t, json.Unmarshal(body, &resp))
	var got []string
	for _, d := range resp["detail"] {
		got = append(got, fmt.Sprintf("%v %v", d["loc"], d["type"]))
	}
	assert.Equal(t, []string{
		"[body extra] extra_forbidden",
		"[body endpoints 0 mac] value_error",
		"[body endpoints 0 hostname] missing",
		"[body endpoints 0 vlan] int_type",
		"[body endpoints 0 vlna] extra_forbidden",
	}, got, string(body))
}

// TestValidationRequest: the request's own fields.
func TestValidationRequest(t *testing.T) {
	_, srv := newTestServer(t, Config{})
	replace := func(old, repl string) string { return strings.Replace(validBody(), old, repl, 1) }
	tests := []struct {
		name string
		body string
		loc  string
	}{
		{name: "no source", body: replace(`"source":"proxmox",`, ``), loc: "body.source"},
		{name: "empty source", body: replace(`"source":"proxmox"`, `"source":""`), loc: "body.source"},
		{name: "long source", body: replace(`"source":"proxmox"`, `"source":"`+strings.Repeat("s", 65)+`"`), loc: "body.source"},
		{name: "control character in source", body: replace(`"source":"proxmox"`, `"source":"prox\u0000mox"`), loc: "body.source"},
		{name: "no change_source", body: replace(`"change_source":"proxmox",`, ``), loc: "body.change_source"},
		{name: "long change_source", body: replace(`"change_source":"proxmox"`, `"change_source":"`+strings.Repeat("s", 65)+`"`), loc: "body.change_source"},
		{name: "no endpoints", body: `{"source":"proxmox","change_source":"proxmox"}`, loc: "body.endpoints"},
		{name: "empty endpoints", body: `{"source":"proxmox","change_source":"proxmox","endpoints":[]}`, loc: "body.endpoints"},
		{name: "endpoints not a list", body: `{"source":"proxmox","change_source":"proxmox","endpoints":{}}`, loc: "body.endpoints"},
		{name: "endpoint not an object", body: `{"source":"proxmox","change_source":"proxmox","endpoints":[7]}`, loc: "body.endpoints.0"},
		{name: "body not an object", body: `[]`, loc: "body"},
		{name: "unknown field", body: replace(`"source"`, `"sourc":"x","source"`), loc: "body.sourc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, srv, "", tt.body)
			require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
			detail := detailOf(t, body)
			assert.Equal(t, tt.loc, locString(detail[0].Loc), string(body))
		})
	}
}

// TestValidationStoresNothing: one invalid endpoint refuses the whole
// request; upsert_endpoint is called for none of them.
func TestValidationStoresNothing(t *testing.T) {
	c, srv := newTestServer(t, Config{})
	bad := guestN(1)
	bad.VLAN = 5000
	status, _, body := post(t, srv, "", bodyOf(t, "proxmox", guestN(0), bad, guestN(2)))
	require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
	assert.Empty(t, c.Endpoints())
	assert.Empty(t, c.Events())
	assert.Equal(t, Stats{Requests: 1, Invalid: 1}, c.Stats())
}

// TestNotJSON: a body that is not JSON is answered 400 with a detail naming
// the problem; so is one that is not UTF-8.
func TestNotJSON(t *testing.T) {
	_, srv := newTestServer(t, Config{})
	status, _, body := post(t, srv, "", `{"source":`)
	require.Equal(t, http.StatusBadRequest, status)
	detail := detailOf(t, body)
	assert.Equal(t, "json_invalid", detail[0].Type)
	assert.Contains(t, detail[0].Msg, "JSON decode error")

	status, _, body = post(t, srv, "", strings.Replace(validBody(), "web01", "web\xff01", 1))
	require.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"detail":"There was an error parsing the body"}`, string(body))

	req, err := http.NewRequest(http.MethodPost, srv.URL+UpsertPath, strings.NewReader(validBody()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
}

// TestGzipBody: a gzip-compressed body is read like a plain one.
func TestGzipBody(t *testing.T) {
	c, srv := newTestServer(t, Config{})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(validBody()))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	req, err := http.NewRequest(http.MethodPost, srv.URL+UpsertPath, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Len(t, c.Endpoints(), 1)
}

// TestTooManyEndpoints: more than 1000 endpoints is 413 with the advice to
// lower max_batch_size (contract v2); Config.MaxEndpoints sets a lower
// limit, like a proxy's.
func TestTooManyEndpoints(t *testing.T) {
	many := func(n int) string {
		eps := make([]Endpoint, n)
		for i := range eps {
			eps[i] = guest()
			eps[i].MAC = fmt.Sprintf("BC:24:11:00:%02X:%02X", i/256, i%256)
		}
		return bodyOf(t, "proxmox", eps...)
	}
	c, srv := newTestServer(t, Config{})
	status, _, body := post(t, srv, "", many(1000))
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Len(t, c.Endpoints(), 1000)
	status, _, body = post(t, srv, "", many(1001))
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.JSONEq(t, `{"detail":"too many endpoints in one request: 1001; the controller accepts at most 1000 per request: lower max_batch_size"}`, string(body))

	c, srv = newTestServer(t, Config{MaxEndpoints: 2})
	status, _, body = post(t, srv, "", many(3))
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, string(body), "at most 2 per request")
	status, _, _ = post(t, srv, "", many(2))
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, int64(1), c.Stats().Invalid)
}
