// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type testEnv struct {
	sim    *Simulator
	srv    *httptest.Server
	client *http.Client
}

// newEnv serves a simulator on loopback. Cleanups run in reverse order, so
// the simulator is closed (releasing hangs) before the server waits for
// outstanding requests.
func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	sim := New(cfg)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	client := srv.Client()
	t.Cleanup(client.CloseIdleConnections)
	return &testEnv{sim: sim, srv: srv, client: client}
}

type result struct {
	status int
	reason string // text after the status code
	header http.Header
	body   []byte
}

func (e *testEnv) do(t *testing.T, ctx context.Context, method, path, auth string) (result, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	_, reason, _ := strings.Cut(resp.Status, " ")
	return result{status: resp.StatusCode, reason: reason, header: resp.Header, body: body}, nil
}

func defaultAuth() string { return "PVEAPIToken=" + DefaultTokenID + "=" + DefaultTokenSecret }

// get fetches /api2/json+path with the default token.
func (e *testEnv) get(t *testing.T, path string) result {
	t.Helper()
	r, err := e.do(t, context.Background(), http.MethodGet, "/api2/json"+path, defaultAuth())
	require.NoError(t, err)
	return r
}

// data fetches path, requires 200 and decodes the data member generically.
func (e *testEnv) data(t *testing.T, path string) any {
	t.Helper()
	r := e.get(t, path)
	require.Equal(t, http.StatusOK, r.status, "%s: %s", path, r.body)
	var env map[string]any
	require.NoError(t, json.Unmarshal(r.body, &env), "%s", path)
	require.Contains(t, env, "data")
	return env["data"]
}

func list(t *testing.T, v any) []map[string]any {
	t.Helper()
	items, ok := v.([]any)
	require.True(t, ok, "not a list: %T", v)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		require.True(t, ok, "item %d not an object: %T", i, it)
		out[i] = m
	}
	return out
}

func object(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "not an object: %T", v)
	return m
}

// errorMessage decodes a PVE9 error body's message.
func errorMessage(t *testing.T, r result) string {
	t.Helper()
	var body struct {
		Data    any    `json:"data"`
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal(r.body, &body), "%s", r.body)
	require.Nil(t, body.Data)
	return body.Message
}

func findGuest(t *testing.T, c *Cluster, pred func(g Guest) bool) Guest {
	t.Helper()
	for _, g := range c.Guests {
		if pred(g) {
			return g
		}
	}
	t.Fatal("no guest matches")
	return Guest{}
}
