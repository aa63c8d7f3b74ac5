// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"fmt"
	"net/http"
)

// readOnlyTransport refuses every method but GET before it leaves the
// process: the receiver must never change anything on a Proxmox cluster,
// whatever a future code path or redirect tries.
type readOnlyTransport struct {
	next http.RoundTripper
}

func (t readOnlyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("refusing %s %s: the proxmox receiver is read-only and only sends GET", req.Method, req.URL.Path)
	}
	return t.next.RoundTrip(req)
}
