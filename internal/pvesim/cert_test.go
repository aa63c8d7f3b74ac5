// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"crypto/x509"
	"testing"
)

func TestSelfSignedCertVerifiesAsItsOwnCA(t *testing.T) {
	_, certPEM, err := SelfSignedCert("pve.test", "192.0.2.7", "localhost", "")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("certPEM is not a PEM certificate")
	}
	cert, _, err := SelfSignedCert("pve.test", "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "pve.test", "192.0.2.7"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate does not cover %s: %v", name, err)
		}
	}
	if err := leaf.VerifyHostname("other.test"); err == nil {
		t.Error("certificate covers other.test, want only the given hosts")
	}
	// The first certificate's PEM verifies only itself, not the second one.
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool}); err == nil {
		t.Error("a different self-signed certificate verified against the first one's PEM")
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "pve.test"}); err != nil {
		t.Errorf("certificate does not verify as its own CA: %v", err)
	}
}
