// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func TestRedirectsAreNeverFollowed(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var elsewhere atomic.Int32
			var leaked atomic.Value
			other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				elsewhere.Add(1)
				leaked.Store(r.Header.Get("Authorization"))
			}))
			defer other.Close()
			proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/login?next="+r.URL.Path, status)
			}))
			defer proxy.Close()

			httpClient := proxy.Client()
			c := New(httpClient, Settings{Endpoints: []string{proxy.URL}, TokenID: "monitor@pve!mnm", TokenSecret: "s3cret-uuid",
				MaxConcurrentRequestsPerNode: 2, Stats: NewStats(), Logger: zap.NewNop()})
			_, err := c.ClusterResources(context.Background())
			require.Error(t, err)
			assert.ErrorContains(t, err, "GET /cluster/resources")
			assert.ErrorContains(t, err, other.URL+"/login", "the error names where the redirect pointed")
			assert.ErrorContains(t, err, "not a proxy")
			assert.NotContains(t, err.Error(), "s3cret-uuid")
			assert.Zero(t, elsewhere.Load(), "nothing reaches the redirect's target")
			assert.Nil(t, leaked.Load())
			assert.Equal(t, "302", ErrorReason(&APIError{Status: 302}))
		})
	}
}

func TestRedirectLocationPasswordIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://user:hunter2@sso.example.com/login")
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	c := New(srv.Client(), Settings{Endpoints: []string{srv.URL}, TokenID: "monitor@pve!mnm", TokenSecret: "x",
		MaxConcurrentRequestsPerNode: 1, Stats: NewStats(), Logger: zap.NewNop()})
	_, err := c.NodeStatus(context.Background(), "pve1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.ErrorContains(t, err, "sso.example.com")
}
