// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

// upsertPath is the controller route, relative to `endpoint`.
const upsertPath = "api/endpoints/upsert"

// maxResponseBytes bounds how much of a response is read, and then how much
// more is drained so the connection can be reused.
const maxResponseBytes = 64 * 1024

// upsertClient is the exporter's transport: it posts one upsert request to
// the controller and classifies the answer. It knows nothing of log records,
// batches or telemetry.
type upsertClient struct {
	// client is set by the exporter's start, where the auth extensions are
	// available.
	client *http.Client
	url    string
	// logURL is url without any userinfo password, for logs and errors.
	logURL    string
	userAgent string
	// secret mints the mnm_token cookie; none is sent when it is empty.
	secret configopaque.String
}

func newUpsertClient(endpoint string, secret configopaque.String, userAgent string) (*upsertClient, error) {
	upsertURL, err := url.JoinPath(endpoint, upsertPath)
	if err != nil {
		return nil, fmt.Errorf("`endpoint` %q cannot be joined with %q: %w", endpoint, upsertPath, err)
	}
	logURL := upsertURL
	if u, parseErr := url.Parse(upsertURL); parseErr == nil {
		logURL = u.Redacted()
	}
	return &upsertClient{url: upsertURL, logURL: logURL, userAgent: userAgent, secret: secret}, nil
}

// upsertReply is the controller's answer to an accepted (2xx) upsert.
type upsertReply struct {
	// response is the decoded answer: what could be decoded of it when
	// unreadable is set (nothing for a syntax error, the well-typed fields
	// for a type error).
	response upsertResponse
	// unreadable tells why the answer could not be read or decoded. The
	// endpoints were accepted all the same: only the per-endpoint detail is
	// missing.
	unreadable error
}

// upsert posts req with a token minted for now. It returns the reply and no
// error for a 2xx, otherwise a permanent error, a throttle error or a plain
// (retryable) error, each naming the source and the number of endpoints.
func (c *upsertClient) upsert(ctx context.Context, req upsertRequest, now time.Time) (upsertReply, error) {
	n := len(req.Endpoints)
	body, err := json.Marshal(req)
	if err != nil {
		return upsertReply{}, consumererror.NewPermanent(fmt.Errorf("encoding %d endpoints of source %q: %w", n, req.Source, err))
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return upsertReply{}, consumererror.NewPermanent(fmt.Errorf("building the request for %d endpoints of source %q to %s: %w", n, req.Source, c.logURL, err))
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", c.userAgent)
	if c.secret != "" {
		httpReq.AddCookie(tokenCookie(c.secret, now))
	}

	resp, err := c.client.Do(httpReq)
	if err != nil {
		return upsertReply{}, fmt.Errorf("sending %d endpoints of source %q to the controller: %w", n, req.Source, err)
	}
	defer func() {
		// Drain a bounded remainder so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, maxResponseBytes)
		_ = resp.Body.Close()
	}()
	respBody, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return upsertReply{}, classifyStatus(resp, respBody, n, req.Source)
	}
	var reply upsertReply
	if readErr != nil {
		reply.unreadable = readErr
	} else if err := json.Unmarshal(respBody, &reply.response); err != nil {
		reply.unreadable = err
	}
	return reply, nil
}

// closeIdleConnections is safe before the client is set.
func (c *upsertClient) closeIdleConnections() {
	if c.client != nil {
		c.client.CloseIdleConnections()
	}
}
