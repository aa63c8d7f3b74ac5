// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

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
	response upsertResponse
}

// perEndpointAnswerBytes is what the answer of a 2xx may take per endpoint
// sent, on top of maxResponseBytes: a result with a few events is about
// 100 bytes, so a large batch's answer is never cut.
const perEndpointAnswerBytes = 1024

// answerLimit bounds how much of a 2xx answer to n endpoints is read.
func answerLimit(n int) int64 {
	return maxResponseBytes + int64(n)*perEndpointAnswerBytes
}

// upsert posts req with a token minted for now. It returns the reply and no
// error only for a 2xx carrying the controller's JSON answer
// ({"results": [...]}); otherwise an *answerError (see classifyStatus) or,
// without an answer, a plain retryable error. Each error names the source
// and the number of endpoints. Redirects are not followed by the client
// the exporter builds; a 3xx is an error.
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

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		respBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		return upsertReply{}, classifyStatus(resp, respBody, n, req.Source)
	}
	limit := answerLimit(n)
	respBody, readErr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	var problem error
	switch {
	case readErr != nil:
		problem = fmt.Errorf("reading it failed: %w", readErr)
	case int64(len(respBody)) > limit:
		problem = fmt.Errorf("it is longer than %d bytes", limit)
	default:
		var reply upsertReply
		if reply.response, problem = decodeAnswer(respBody); problem == nil {
			return reply, nil
		}
	}
	// Whatever answered, it was not the controller's upsert route: the
	// endpoints are not counted as delivered, and stay in the queue.
	return upsertReply{}, &answerError{kind: failRetry, status: resp.StatusCode, cause: causeNotController, err: fmt.Errorf(
		"controller answered HTTP %d to the upsert of %d endpoints of source %q but not with its JSON answer {\"results\": [...]} (%v; Content-Type %q, body %q): the endpoints are not counted as delivered; %s",
		resp.StatusCode, n, req.Source, problem, resp.Header.Get("Content-Type"), truncate(string(respBody)), proxyHint)}
}

// decodeAnswer reads the controller's answer: a JSON object whose `results`
// is an array. A result that does not have the expected types is kept with
// what could be read of it (an action it lacks is counted as unknown).
func decodeAnswer(body []byte) (upsertResponse, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return upsertResponse{}, errors.New("it is not a JSON object")
	}
	raw, ok := top["results"]
	if !ok {
		return upsertResponse{}, errors.New("it has no `results`")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return upsertResponse{}, errors.New("its `results` is not an array")
	}
	out := upsertResponse{Results: make([]upsertResult, len(items))}
	for i, item := range items {
		// A type error still fills the fields that have the right type.
		_ = json.Unmarshal(item, &out.Results[i])
	}
	return out, nil
}

// closeIdleConnections is safe before the client is set.
func (c *upsertClient) closeIdleConnections() {
	if c.client != nil {
		c.client.CloseIdleConnections()
	}
}
