// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/consumer/consumererror"
)

// The upsertClient on its own, against httptest servers: no exporter, no
// log records.

// newTestUpsertClient returns a client for srv's base URL using srv's HTTP
// client, or httpClient when given.
func newTestUpsertClient(t *testing.T, srv *httptest.Server, httpClient *http.Client) *upsertClient {
	t.Helper()
	c, err := newUpsertClient(srv.URL+"/base/", testSecret, "otelcol-mnm-test/1.2.3")
	require.NoError(t, err)
	c.client = srv.Client()
	if httpClient != nil {
		c.client = httpClient
	}
	return c
}

// oneEndpoint is a request with one endpoint of source proxmox.
func oneEndpoint() upsertRequest {
	return upsertRequest{Source: "proxmox", ChangeSource: "proxmox", Endpoints: []endpoint{{
		MAC: "BC:24:11:C3:C7:41", AdditionalIPs: []string{}, Hostname: "web01",
		FirstSeen: "2026-11-22T13:00:00Z", LastSeen: "2026-11-22T13:00:00Z",
	}}}
}

func TestUpsertClientRequest(t *testing.T) {
	type seen struct {
		method, path, contentType, accept, userAgent string
		cookies                                      []*http.Cookie
		body                                         []byte
	}
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{
			method: r.Method, path: r.URL.Path, contentType: r.Header.Get("Content-Type"), accept: r.Header.Get("Accept"),
			userAgent: r.Header.Get("User-Agent"), cookies: r.Cookies(), body: readAll(t, r),
		}
		_, _ = w.Write([]byte(`{"results":[{"mac":"BC:24:11:C3:C7:41","action":"new","events":[{"type":"created"}]}]}`))
	}))
	defer srv.Close()

	c := newTestUpsertClient(t, srv, nil)
	now := time.Unix(1795000000, 0)
	reply, err := c.upsert(context.Background(), oneEndpoint(), now)
	require.NoError(t, err)
	require.Len(t, reply.response.Results, 1)
	assert.Equal(t, "BC:24:11:C3:C7:41", reply.response.Results[0].MAC)
	assert.Equal(t, "new", reply.response.Results[0].Action)
	assert.Len(t, reply.response.Results[0].Events, 1)

	assert.Equal(t, http.MethodPost, got.method)
	assert.Equal(t, "/base/api/endpoints/upsert", got.path)
	assert.Equal(t, "application/json", got.contentType)
	assert.Equal(t, "application/json", got.accept)
	assert.Equal(t, "otelcol-mnm-test/1.2.3", got.userAgent)
	assert.JSONEq(t, `{"source":"proxmox","change_source":"proxmox","endpoints":[{"mac":"BC:24:11:C3:C7:41","ip":null,"additional_ips":[],"hostname":"web01","classification":"","device_name":"","switch_port":"","vlan":0,"first_seen":"2026-11-22T13:00:00Z","last_seen":"2026-11-22T13:00:00Z"}]}`, string(got.body))

	// The token is minted for the given time; computed here, independently of auth.go.
	h := hmac.New(sha256.New, []byte(testSecret))
	h.Write([]byte("1795000000"))
	require.Len(t, got.cookies, 1)
	assert.Equal(t, "mnm_token", got.cookies[0].Name)
	assert.Equal(t, "1795000000."+hex.EncodeToString(h.Sum(nil))[:32], got.cookies[0].Value)

	// No secret, no cookie.
	c.secret = ""
	_, err = c.upsert(context.Background(), oneEndpoint(), now)
	require.NoError(t, err)
	assert.Empty(t, got.cookies)
}

func TestUpsertClientURL(t *testing.T) {
	c, err := newUpsertClient("https://user:hunter2@controller.example.com/nautobot", "", "ua")
	require.NoError(t, err)
	assert.Equal(t, "https://user:hunter2@controller.example.com/nautobot/api/endpoints/upsert", c.url)
	assert.Equal(t, "https://user:xxxxx@controller.example.com/nautobot/api/endpoints/upsert", c.logURL)

	_, err = newUpsertClient("http://[::1", "", "ua")
	assert.ErrorContains(t, err, "cannot be joined with \"api/endpoints/upsert\"")
}

// throttleDelay returns the delay of an exporterhelper throttle error, which
// only its text exposes ("Throttle (7s), error: ...").
func throttleDelay(t *testing.T, err error) (time.Duration, bool) {
	t.Helper()
	rest, ok := strings.CutPrefix(err.Error(), "Throttle (")
	if !ok {
		return 0, false
	}
	end := strings.IndexByte(rest, ')')
	require.Positive(t, end, err.Error())
	d, parseErr := time.ParseDuration(rest[:end])
	require.NoError(t, parseErr, err.Error())
	return d, true
}

func TestUpsertClientStatus(t *testing.T) {
	type outcome int
	const (
		delivered outcome = iota
		permanent
		throttled
		retryable
	)
	tests := []struct {
		name        string
		status      int
		retryAfter  string
		body        string
		want        outcome
		credentials bool
		// minDelay and maxDelay bound the throttle delay.
		minDelay, maxDelay time.Duration
		// wantErr are substrings of the error.
		wantErr []string
	}{
		{name: "200", status: 200, body: `{"results":[]}`, want: delivered},
		{name: "201", status: 201, body: `{"results":[]}`, want: delivered},
		// The controller's answer is a JSON object with results: anything
		// else is not counted as delivered.
		{name: "204", status: 204, want: retryable, wantErr: []string{"HTTP 204", "not with its JSON answer", proxyHint}},
		{name: "400", status: 400, body: `{"detail":"endpoints[0].mac is bad"}`, want: permanent,
			wantErr: []string{`controller answered HTTP 400 to the upsert of 1 endpoints of source "proxmox": endpoints[0].mac is bad`}},
		{name: "401", status: 401, body: `{"detail":"expired mnm_token"}`, want: permanent, credentials: true,
			wantErr: []string{`upsert of 1 endpoints of source "proxmox": controller rejected the credentials`, "(HTTP 401: expired mnm_token)"}},
		{name: "403", status: 403, body: `{"error":"forbidden"}`, want: permanent, credentials: true,
			wantErr: []string{`1 endpoints of source "proxmox"`, "(HTTP 403: forbidden)"}},
		{name: "404", status: 404, body: "no such route", want: permanent, wantErr: []string{"HTTP 404", "no such route"}},
		{name: "405", status: 405, want: permanent, wantErr: []string{"HTTP 405", "(empty body)"}},
		{name: "413", status: 413, body: `{"message":"too large"}`, want: permanent, wantErr: []string{"HTTP 413", "too large"}},
		{name: "414", status: 414, want: permanent},
		{name: "422", status: 422, body: `{"detail":[{"loc":["body","endpoints",0],"msg":"bad"}]}`, want: permanent,
			wantErr: []string{"HTTP 422", `[{"loc":["body","endpoints",0],"msg":"bad"}]`}},
		{name: "431", status: 431, want: permanent},
		{name: "408", status: 408, want: retryable, wantErr: []string{"HTTP 408"}},
		{name: "409", status: 409, want: permanent, wantErr: []string{"HTTP 409"}},
		{name: "410", status: 410, want: permanent},
		{name: "412", status: 412, want: permanent},
		{name: "415", status: 415, want: permanent},
		{name: "418 unlisted", status: 418, want: permanent},
		{name: "429", status: 429, want: retryable, wantErr: []string{"HTTP 429"}},
		{name: "429 Retry-After seconds", status: 429, retryAfter: "7", want: throttled, minDelay: 7 * time.Second, maxDelay: 7 * time.Second,
			wantErr: []string{`HTTP 429 to the upsert of 1 endpoints of source "proxmox"`}},
		{name: "503 Retry-After 0", status: 503, retryAfter: "0", want: throttled},
		{name: "503 Retry-After date", status: 503, retryAfter: "date+90s", want: throttled, minDelay: 80 * time.Second, maxDelay: 90 * time.Second},
		{name: "503 Retry-After past date", status: 503, retryAfter: "date-1h", want: throttled},
		{name: "503 Retry-After negative", status: 503, retryAfter: "-1", want: retryable},
		{name: "503 Retry-After capped", status: 503, retryAfter: "86400", want: throttled, minDelay: 5 * time.Minute, maxDelay: 5 * time.Minute},
		{name: "503 Retry-After date capped", status: 503, retryAfter: "date+2h", want: throttled, minDelay: 5 * time.Minute, maxDelay: 5 * time.Minute},
		{name: "502 Retry-After", status: 502, retryAfter: "3", want: throttled, minDelay: 3 * time.Second, maxDelay: 3 * time.Second},
		{name: "504 Retry-After", status: 504, retryAfter: "4", want: throttled, minDelay: 4 * time.Second, maxDelay: 4 * time.Second},
		{name: "500 Retry-After ignored", status: 500, retryAfter: "4", want: retryable},
		{name: "503 Retry-After garbage", status: 503, retryAfter: "soon", want: retryable, wantErr: []string{"HTTP 503"}},
		{name: "500", status: 500, body: "<html>oops</html>", want: retryable, wantErr: []string{"HTTP 500", "<html>oops</html>"}},
		{name: "502", status: 502, want: retryable, wantErr: []string{"(empty body)"}},
		{name: "504", status: 504, want: retryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				switch {
				case strings.HasPrefix(tt.retryAfter, "date"):
					offset, err := time.ParseDuration(strings.TrimPrefix(tt.retryAfter, "date"))
					if !assert.NoError(t, err) {
						return
					}
					w.Header().Set("Retry-After", time.Now().Add(offset).UTC().Format(http.TimeFormat))
				case tt.retryAfter != "":
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()

			reply, err := newTestUpsertClient(t, srv, nil).upsert(context.Background(), oneEndpoint(), time.Now())
			if tt.want == delivered {
				require.NoError(t, err)
				assert.Empty(t, reply.response.Results)
				return
			}
			require.Error(t, err)
			assert.Equal(t, upsertReply{}, reply)
			assert.Equal(t, tt.want == permanent, consumererror.IsPermanent(err), "IsPermanent: %v", err)
			assert.Equal(t, tt.credentials, errors.Is(err, errCredentialsRejected), "credentials: %v", err)
			delay, isThrottle := throttleDelay(t, err)
			assert.Equal(t, tt.want == throttled, isThrottle, "throttle: %v", err)
			if isThrottle {
				assert.GreaterOrEqual(t, delay, tt.minDelay)
				assert.LessOrEqual(t, delay, tt.maxDelay)
			}
			for _, want := range tt.wantErr {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

// countingBody records what the client reads of a response body.
type countingBody struct {
	body io.ReadCloser
	mu   sync.Mutex
	read int64
	shut bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.mu.Lock()
	b.read += int64(n)
	b.mu.Unlock()
	return n, err
}

func (b *countingBody) Close() error {
	b.mu.Lock()
	b.shut = true
	b.mu.Unlock()
	return b.body.Close()
}

func (b *countingBody) counts() (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.read, b.shut
}

// countingTransport wraps every response body in a countingBody.
type countingTransport struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies []*countingBody
}

func (tr *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b := &countingBody{body: resp.Body}
	resp.Body = b
	tr.mu.Lock()
	tr.bodies = append(tr.bodies, b)
	tr.mu.Unlock()
	return resp, nil
}

// TestUpsertClientBodyBound: of an endless answer, the client reads at most
// maxResponseBytes, drains at most as much again and closes the body; the
// message quoted in an error is cut to maxMessageBytes.
func TestUpsertClientBodyBound(t *testing.T) {
	tests := []struct {
		name   string
		status int
		prefix string
		check  func(t *testing.T, reply upsertReply, err error)
	}{
		{
			name: "2xx", status: 200, prefix: `{"results":[{"mac":"BC:24:11:C3:C7:41","action":"new","events":["`,
			check: func(t *testing.T, _ upsertReply, err error) {
				require.Error(t, err, "an answer too long to be the controller's is not a delivery")
				assert.False(t, consumererror.IsPermanent(err))
				assert.ErrorContains(t, err, fmt.Sprintf("it is longer than %d bytes", answerLimit(1)))
				assert.Less(t, len(err.Error()), 4*maxMessageBytes)
			},
		},
		{
			name: "5xx", status: 500, prefix: "Internal Server Error ",
			check: func(t *testing.T, _ upsertReply, err error) {
				require.Error(t, err)
				assert.False(t, consumererror.IsPermanent(err))
				msg := err.Error()[strings.Index(err.Error(), `"proxmox": `)+len(`"proxmox": `):]
				assert.Equal(t, "Internal Server Error "+strings.Repeat("x", maxMessageBytes-len("Internal Server Error "))+"…", msg)
			},
		},
		{
			name: "4xx", status: 422, prefix: `{"detail":"`,
			check: func(t *testing.T, _ upsertReply, err error) {
				require.Error(t, err)
				assert.True(t, consumererror.IsPermanent(err))
				assert.Less(t, len(err.Error()), 2*maxMessageBytes)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, err := w.Write([]byte(tt.prefix))
				chunk := []byte(strings.Repeat("x", 4096))
				for i := 0; err == nil && i < 4096; i++ { // up to 16 MiB, until the client hangs up
					_, err = w.Write(chunk)
				}
			}))
			defer srv.Close()

			tr := &countingTransport{next: srv.Client().Transport}
			c := newTestUpsertClient(t, srv, &http.Client{Transport: tr})
			reply, err := c.upsert(context.Background(), oneEndpoint(), time.Now())
			tt.check(t, reply, err)

			require.Len(t, tr.bodies, 1)
			read, closed := tr.bodies[0].counts()
			assert.True(t, closed, "the body is closed")
			limit := int64(maxResponseBytes)
			if tt.status < 300 {
				// A 2xx answer grows with the batch: answerLimit, plus one
				// byte to see that it is longer.
				limit = answerLimit(1) + 1
			}
			assert.Equal(t, limit+maxResponseBytes, read, "the limit read, maxResponseBytes drained, no more")
		})
	}
}

func TestUpsertClientTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	c := newTestUpsertClient(t, srv, nil)
	srv.Close()

	_, err := c.upsert(context.Background(), oneEndpoint(), time.Now())
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	assert.ErrorContains(t, err, `sending 1 endpoints of source "proxmox" to the controller`)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.upsert(ctx, oneEndpoint(), time.Now())
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, consumererror.IsPermanent(err))
}

// TestUpsertClientUnusableSuccess: a 2xx is delivered only with the
// controller's JSON answer; anything else (a login page, a proxy's "OK") is
// a retryable error that suggests what is in front of the controller.
func TestUpsertClientUnusableSuccess(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantErr                 string
	}{
		{name: "text", body: "OK", wantErr: "it is not a JSON object"},
		{name: "empty", body: "", wantErr: "it is not a JSON object"},
		{name: "login page", contentType: "text/html", body: "<html><form action=/login></form></html>", wantErr: `Content-Type "text/html", body "<html><form action=/login></form></html>"`},
		{name: "json array", body: `[{"mac":"BC:24:11:C3:C7:41"}]`, wantErr: "it is not a JSON object"},
		{name: "json null", body: `null`, wantErr: "it is not a JSON object"},
		{name: "no results", body: `{"status":"ok"}`, wantErr: "it has no `results`"},
		{name: "results not a list", body: `{"results":"all good"}`, wantErr: "its `results` is not an array"},
		{name: "results null", body: `{"results":null}`, wantErr: "its `results` is not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			reply, err := newTestUpsertClient(t, srv, nil).upsert(context.Background(), oneEndpoint(), time.Now())
			require.Error(t, err)
			assert.Equal(t, upsertReply{}, reply)
			assert.False(t, consumererror.IsPermanent(err))
			kind, status := kindOf(err)
			assert.Equal(t, failRetry, kind)
			assert.Equal(t, http.StatusOK, status)
			assert.ErrorContains(t, err, `controller answered HTTP 200 to the upsert of 1 endpoints of source "proxmox" but not with its JSON answer`)
			assert.ErrorContains(t, err, tt.wantErr)
			assert.ErrorContains(t, err, proxyHint)
		})
	}

	t.Run("one result mistyped", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"results":[{"mac":"BC:24:11:C3:C7:41","action":"new"},{"mac":7}]}`))
		}))
		defer srv.Close()
		reply, err := newTestUpsertClient(t, srv, nil).upsert(context.Background(), oneEndpoint(), time.Now())
		require.NoError(t, err, "the answer is the controller's; only a detail is off")
		require.Len(t, reply.response.Results, 2)
		assert.Equal(t, "new", reply.response.Results[0].Action)
		assert.Empty(t, reply.response.Results[1].Action)
	})
}

// TestClassifyKinds: what the exporter does with each answer.
func TestClassifyKinds(t *testing.T) {
	tests := []struct {
		status int
		want   failureKind
	}{
		{301, failRetry}, {302, failRetry}, {303, failRetry}, {307, failRetry}, {308, failRetry},
		{401, failCredentials}, {403, failCredentials},
		{404, failNoRoute}, {405, failNoRoute}, {414, failRequest}, {415, failRequest}, {431, failRequest},
		{400, failRecords}, {409, failRecords}, {413, failRecords}, {422, failRecords}, {418, failRecords},
		{408, failRetry}, {429, failRetry}, {502, failRetry}, {503, failRetry}, {504, failRetry},
		{500, failServer}, {501, failServer}, {507, failServer},
		{600, failRetry},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			err := classifyStatus(resp, nil, 1, "proxmox")
			kind, status := kindOf(err)
			assert.Equal(t, tt.want, kind)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.want == failCredentials || tt.want == failNoRoute || tt.want == failRequest || tt.want == failRecords, consumererror.IsPermanent(err))
		})
	}
	kind, status := kindOf(errors.New("connection refused"))
	assert.Equal(t, failRetry, kind, "no answer: retryable")
	assert.Zero(t, status)
}

// TestRedirectError: a 3xx names where it points, without its query string
// or userinfo, and what to fix.
func TestRedirectError(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "https://mnm.example.com/api/endpoints/upsert", nil)
	resp := &http.Response{StatusCode: http.StatusFound, Request: req, Header: http.Header{
		"Location": []string{"/sso/login?next=/api/endpoints/upsert&state=SECRETSTATE"},
	}}
	err := classifyStatus(resp, []byte("<html>moved</html>"), 3, "proxmox")
	assert.False(t, consumererror.IsPermanent(err))
	assert.EqualError(t, err, `controller answered HTTP 302 (a redirect, Location "https://mnm.example.com/sso/login?…") to the upsert of 3 endpoints of source "proxmox"; redirects are not followed: `+proxyHint)

	resp.Header.Set("Location", "http://user:pw@other.example.com:8080/x")
	resp.StatusCode = http.StatusTemporaryRedirect
	err = classifyStatus(resp, nil, 1, "proxmox")
	assert.ErrorContains(t, err, `HTTP 307 (a redirect, Location "http://other.example.com:8080/x")`)
	assert.NotContains(t, err.Error(), "pw")

	resp.Header.Del("Location")
	assert.ErrorContains(t, classifyStatus(resp, nil, 1, "proxmox"), "(a redirect, no Location header)")
}
