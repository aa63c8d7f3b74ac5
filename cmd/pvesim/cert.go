// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/tls"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// selfSignedCert is the certificate for -tls; the demo (cmd/mnm-demo) shares
// the same helper, so both serve the simulator the same way.
func selfSignedCert(host string) (tls.Certificate, []byte, error) {
	return pvesim.SelfSignedCert(host)
}
