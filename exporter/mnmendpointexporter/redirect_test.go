// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
)

// Redirects are never followed: the client built in start answers a 3xx as
// an error that names the Location, and whatever the Location points at
// receives nothing.

// countingServer counts the requests it receives and answers a login page.
type countingServer struct {
	*httptest.Server
	requests atomic.Int64
	sawAuth  atomic.Bool
}

func newCountingServer(t *testing.T, listen string) *countingServer {
	t.Helper()
	cs := &countingServer{}
	cs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.requests.Add(1)
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			cs.sawAuth.Store(true)
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><form action=/login>Sign in</form></html>"))
	}))
	if listen != "" {
		l, err := net.Listen("tcp", listen)
		require.NoError(t, err)
		cs.Listener = l
	}
	cs.Start()
	t.Cleanup(cs.Close)
	return cs
}

func redirectingTo(status int, location string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", location)
		w.WriteHeader(status)
	})
}

// requireRedirectError checks the error of a redirected export: retryable,
// naming the Location and the likely cause, with the endpoint handed back.
func requireRedirectError(t *testing.T, err error, status int, location string) {
	t.Helper()
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "the queue keeps the data until the endpoint is fixed")
	assert.ErrorContains(t, err, "HTTP "+strconv.Itoa(status)+" (a redirect, Location \""+location+"\")")
	assert.ErrorContains(t, err, "redirects are not followed: a proxy or login page in front of the controller? point `endpoint` at the controller itself")
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, 1, logsErr.Data().LogRecordCount())
}

// TestRedirectToLoginPage: a 302 to an SSO login page (which answers an HTML
// 200) is an error; the login page receives nothing.
func TestRedirectToLoginPage(t *testing.T) {
	login := newCountingServer(t, "")
	srv := httptest.NewServer(redirectingTo(http.StatusFound, login.URL+"/login?next=/api/endpoints/upsert"))
	defer srv.Close()

	exp := startExporter(t, testConfig(srv.URL), nopSettings())
	err := exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))
	requireRedirectError(t, err, http.StatusFound, login.URL+"/login?…")
	assert.Zero(t, login.requests.Load(), "the login page receives nothing")
}

// TestRedirectHTTPSToHTTP: a 307 from the https:// controller to an http://
// URL on another listener: that listener receives no request at all, so
// neither the body nor the mnm_token cookie travels in clear text.
func TestRedirectHTTPSToHTTP(t *testing.T) {
	plain := newCountingServer(t, "")
	var cookieSent atomic.Bool
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(controllersim.CookieName); err == nil && c.Value != "" {
			cookieSent.Store(true)
		}
		redirectingTo(http.StatusTemporaryRedirect, plain.URL+controllersim.UpsertPath).ServeHTTP(w, r)
	}))
	defer tlsSrv.Close()

	cfg := testConfig(tlsSrv.URL)
	cfg.ClientConfig.TLS.InsecureSkipVerify = true // httptest's certificate
	exp := startExporter(t, cfg, nopSettings())
	err := exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))
	requireRedirectError(t, err, http.StatusTemporaryRedirect, plain.URL+controllersim.UpsertPath)
	assert.True(t, cookieSent.Load(), "the https controller got the cookie")
	assert.Zero(t, plain.requests.Load(), "the http listener receives nothing")
}

// TestRedirectKeepsAuthorizationHeader: a configured Authorization header
// never reaches another host through a 308.
func TestRedirectKeepsAuthorizationHeader(t *testing.T) {
	other := newCountingServer(t, "127.0.0.1:0")
	_, port, err := net.SplitHostPort(other.Listener.Addr().String())
	require.NoError(t, err)
	// Another host name for the same loopback listener: Go's own redirect
	// rules would drop the header here, but confighttp's `headers` are added
	// to every request the transport sends, redirected ones included.
	location := "http://localhost:" + port + controllersim.UpsertPath
	var gotAuth atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization") == "Token 0123")
		redirectingTo(http.StatusPermanentRedirect, location).ServeHTTP(w, r)
	}))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	cfg.Secret = ""
	cfg.ClientConfig.Headers.Set("Authorization", "Token 0123")
	exp := startExporter(t, cfg, nopSettings())
	err = exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))
	requireRedirectError(t, err, http.StatusPermanentRedirect, location)
	assert.True(t, gotAuth.Load(), "the controller's host got the header")
	assert.Zero(t, other.requests.Load(), "the other host receives nothing")
	assert.False(t, other.sawAuth.Load())
}

// TestClearTextWarning: a plain http:// endpoint logs exactly one warning at
// start; https:// none.
func TestClearTextWarning(t *testing.T) {
	for _, tt := range []struct {
		name     string
		endpoint string
		want     int
	}{
		{name: "http", endpoint: "http://127.0.0.1:1/base", want: 1},
		{name: "https", endpoint: "https://127.0.0.1:1/base", want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.DebugLevel)
			set := nopSettings()
			set.Logger = zap.New(core)
			exp := startExporter(t, testConfig(tt.endpoint), set)
			// Exports log nothing more of it.
			_ = exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))
			_ = exp.pushLogs(context.Background(), logsOf(rec{mac: "BC:24:11:C3:C7:41"}))

			warns := logs.FilterLevelExact(zapcore.WarnLevel).All()
			require.Len(t, warns, tt.want, "%v", warns)
			if tt.want == 1 {
				assert.Contains(t, warns[0].Message, "travels in clear text")
				assert.Contains(t, warns[0].Message, "mnm_token cookie")
				assert.Equal(t, "http://127.0.0.1:1/base/api/endpoints/upsert", warns[0].ContextMap()["endpoint"])
			}
		})
	}
}
