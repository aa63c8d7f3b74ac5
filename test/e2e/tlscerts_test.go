// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mnm-net/otelcol-mnm/internal/pvesim"
)

// testCA is a certificate authority like Proxmox's pve-root-ca, which signs
// the node certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a server certificate for the given names and IPs.
func (ca *testCA) issue(t *testing.T, dns []string, ips []net.IP) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "pve"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     dns,
		IPAddresses:  ips,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// switchableTLSCluster serves the simulator with a certificate that the test
// can swap while the collector runs, to break and then mend TLS.
type switchableTLSCluster struct {
	*simulatedCluster
	current atomic.Pointer[tls.Certificate]
	good    tls.Certificate // trusted, valid for 127.0.0.1
	unknown tls.Certificate // signed by nobody the collector trusts
	badName tls.Certificate // trusted, but only for pve.invalid
}

func startSwitchableTLSCluster(t *testing.T, cfg pvesim.Config) *switchableTLSCluster {
	t.Helper()
	c := &switchableTLSCluster{}
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	trusted, stranger := newTestCA(t, "pve-root-ca"), newTestCA(t, "someone-else")
	c.good = trusted.issue(t, []string{"localhost"}, loopback)
	c.badName = trusted.issue(t, []string{"pve.invalid"}, nil)
	c.unknown = stranger.issue(t, []string{"localhost"}, loopback)
	c.current.Store(&c.good)

	sim := pvesim.New(cfg)
	// httptest's StartTLS would add its own certificate, which wins over
	// GetCertificate for clients that send no SNI (IP addresses): wrap the
	// listener instead.
	srv := httptest.NewUnstartedServer(sim.Handler())
	srv.Listener = tls.NewListener(srv.Listener, &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.current.Load(), nil },
	})
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	caFile := filepath.Join(t.TempDir(), "pve-root-ca.pem")
	require.NoError(t, os.WriteFile(caFile, trusted.pem, 0o600))
	c.simulatedCluster = &simulatedCluster{sim: sim, url: "https://" + srv.Listener.Addr().String(), caFile: caFile}
	return c
}

func (c *switchableTLSCluster) serve(cert *tls.Certificate) { c.current.Store(cert) }
