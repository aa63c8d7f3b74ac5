// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resourcesAnswer is a /cluster/resources answer of n guests.
func resourcesAnswer(n int) string {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"qemu/%d","type":"qemu","node":"pve1","vmid":%d,"status":"running"}`, 100+i, 100+i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// A list is decoded while it arrives. An answer cut mid-way is the
// connection's failure (the next endpoint is asked), not a malformed answer,
// and nothing of the cut answer is returned.
func TestListAnswerCutMidwayFailsOver(t *testing.T) {
	answer := resourcesAnswer(200)
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// Promise the whole answer, send half, and close the connection.
		w.Header().Set("Content-Length", fmt.Sprint(len(answer)))
		_, _ = w.Write([]byte(answer[:len(answer)/2]))
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = buf.Flush()
			_ = conn.Close()
		}
	}))
	defer cut.Close()
	whole := newProxmoxNode(t)

	c, stats, _ := newFailoverClient(t, cut.URL)
	out, err := c.ClusterResources(context.Background())
	require.ErrorIs(t, err, ErrUnreachable, "a lost connection, not a decode error")
	assert.NotErrorIs(t, err, ErrDecode)
	assert.Nil(t, out, "nothing of a cut answer")
	_, failures := stats.Snapshot()
	assert.EqualValues(t, 1, failures[ErrorKey{Path: PathClusterResources, Reason: ErrorReason(err)}])

	c, _, _ = newFailoverClient(t, cut.URL, whole.srv.URL)
	entries, err := c.ClusterStatus(context.Background())
	require.NoError(t, err, "the next endpoint answers")
	assert.Len(t, entries, 1)
}

// The bound applies to a streamed list: exactly the bound passes, one byte
// more is ErrTooLarge (not a decode error, and not retried elsewhere).
func TestListAnswerOverTheBound(t *testing.T) {
	answer := resourcesAnswer(50)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "pve-api-daemon/3.0")
		bw := bufio.NewWriter(w) // no Content-Length: chunked, as pveproxy sends large answers
		_, _ = bw.WriteString(answer)
		_ = bw.Flush()
	}))
	defer srv.Close()

	c, stats, _ := newFailoverClient(t, srv.URL)
	c.maxAnswerBytes = int64(len(answer))
	out, err := c.ClusterResources(context.Background())
	require.NoError(t, err)
	assert.Len(t, out, 50)

	c.maxAnswerBytes = int64(len(answer)) - 1
	out, err = c.ClusterResources(context.Background())
	require.ErrorIs(t, err, ErrTooLarge)
	assert.NotErrorIs(t, err, ErrDecode)
	assert.ErrorContains(t, err, "GET /cluster/resources")
	assert.Nil(t, out)
	_, failures := stats.Snapshot()
	assert.EqualValues(t, 1, failures[ErrorKey{Path: PathClusterResources, Reason: ErrorReason(err)}])
}

// A malformed entry in a streamed list costs that entry only, and is counted
// as a decode failure.
func TestStreamedListSkipsAMalformedEntry(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"data":[{"id":"qemu/100","vmid":100},{"id":101,"vmid":101},{"id":"qemu/102","vmid":102}]}`))
	}))
	defer srv.Close()
	c, stats, _ := newFailoverClient(t, srv.URL)
	out, err := c.ClusterResources(context.Background())
	require.ErrorIs(t, err, ErrDecode)
	assert.ErrorContains(t, err, "1 of 3 entries skipped")
	require.Len(t, out, 2)
	assert.Equal(t, "qemu/102", out[1].ID)
	_, failures := stats.Snapshot()
	assert.EqualValues(t, 1, failures[ErrorKey{Path: PathClusterResources, Reason: "decode"}])
}
