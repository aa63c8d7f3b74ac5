// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadOnlyTransportRefusesEveryMethodButGET(t *testing.T) {
	var arrived atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { arrived.Add(1) }))
	defer srv.Close()
	client := &http.Client{Transport: readOnlyTransport{next: http.DefaultTransport}}

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		req, err := http.NewRequest(method, srv.URL+"/api2/json/nodes", strings.NewReader("x"))
		require.NoError(t, err)
		resp, err := client.Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		require.Error(t, err, method)
		assert.Contains(t, err.Error(), "read-only")
	}
	assert.Zero(t, arrived.Load(), "a refused request reached the server")

	resp, err := client.Get(srv.URL + "/api2/json/nodes")
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 1, arrived.Load())
}
