// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"strings"
	"time"
)

// Certificates and subscriptions (Config.Operations).
//
// /nodes/{node}/certificates/info lists, in this order, what
// PVE::Certificate::get_certificate_info reads from /etc/pve/pve-root-ca.pem,
// /etc/pve/nodes/<node>/pve-ssl.pem and, when it exists,
// /etc/pve/nodes/<node>/pveproxy-ssl.pem (pve-manager
// PVE/API2/Certificates.pm info; pve-common src/PVE/Certificate.pm):
// filename, fingerprint (SHA-256, upper-case hex with colons), subject and
// issuer as X509_NAME_oneline writes them ("/CN=.../O=..."), notbefore and
// notafter as epochs, san (an IPv6 address written as eight groups of four
// hex digits), pem, public-key-type and public-key-bits. The cluster CA is
// RSA 4096 valid for 3650 days, a node certificate RSA 2048 valid for two
// years, both started "yesterday" through faketime (pve-cluster
// src/PVE/Cluster/Setup.pm gen_pveca_cert, gen_pve_ssl_cert); the first
// node also has an ACME certificate (RSA 4096: pve-common
// src/PVE/Certificate.pm generate_csr) from Let's Encrypt whose renewal
// has failed, so it expires within ten days.
//
// The certificates are real DER that crypto/x509 parses, but synthetic: the
// RSA moduli are random numbers and the signatures do not verify, so that
// they can be made from the seed without generating keys.
//
// /nodes/{node}/subscription (pve-manager PVE/API2/Subscription.pm get) is
// "active" (community level) on every node but the last, which has no key
// ("notfound"). A token without Sys.Audit on /nodes/{node} gets only status,
// message and url: the message of an active subscription is undef there,
// so JSON null; serverid only with Sys.Audit.

const (
	subscriptionURL = "https://www.proxmox.com/en/proxmox-virtual-environment/pricing"
	certDomain      = "example.com" // the nodes' resolv.conf search domain
	day             = 24 * time.Hour
)

var (
	oidC           = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidO           = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU          = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCN          = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256RSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidBasicConstr = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidSAN         = asn1.ObjectIdentifier{2, 5, 29, 17}
	attrShort      = map[string]string{"2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.3": "CN"}
)

type certAttr struct {
	oid asn1.ObjectIdentifier
	val string
}

// oneline is X509_NAME_oneline.
func oneline(name []certAttr) string {
	var b strings.Builder
	for _, a := range name {
		b.WriteString("/" + attrShort[a.oid.String()] + "=" + a.val)
	}
	return b.String()
}

func rdnSequence(name []certAttr) pkix.RDNSequence {
	var seq pkix.RDNSequence
	for _, a := range name {
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: a.oid, Value: a.val}})
	}
	return seq
}

type certSpec struct {
	node, filename      string
	subject, issuer     []certAttr
	serial              *big.Int
	notBefore, notAfter time.Time
	keyBits, issuerBits int
	isCA                bool
	san                 []string // "DNS:name" or "IP:addr", in certificate order
}

type tbsCertificate struct {
	Version            int `asn1:"optional,explicit,default:0,tag:0"`
	SerialNumber       *big.Int
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Issuer             pkix.RDNSequence
	Validity           struct{ NotBefore, NotAfter time.Time }
	Subject            pkix.RDNSequence
	PublicKey          struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	Extensions []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

type basicConstraints struct {
	IsCA bool `asn1:"optional"`
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

// makeCertificate builds the certificate and what info reports of it.
func makeCertificate(rng *rand.Rand, s certSpec) Certificate {
	mod := randomBytes(rng, s.keyBits/8)
	mod[0] |= 0x80
	mod[len(mod)-1] |= 1
	pub, _ := asn1.Marshal(struct {
		N *big.Int
		E int
	}{new(big.Int).SetBytes(mod), 65537})
	sigAlg := pkix.AlgorithmIdentifier{Algorithm: oidSHA256RSA, Parameters: asn1.NullRawValue}
	tbs := tbsCertificate{Version: 2, SerialNumber: s.serial, SignatureAlgorithm: sigAlg,
		Issuer: rdnSequence(s.issuer), Subject: rdnSequence(s.subject)}
	tbs.Validity.NotBefore, tbs.Validity.NotAfter = s.notBefore, s.notAfter
	tbs.PublicKey.Algorithm = pkix.AlgorithmIdentifier{Algorithm: oidRSA, Parameters: asn1.NullRawValue}
	tbs.PublicKey.PublicKey = asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}
	bc, _ := asn1.Marshal(basicConstraints{IsCA: s.isCA})
	tbs.Extensions = append(tbs.Extensions, pkix.Extension{Id: oidBasicConstr, Critical: s.isCA, Value: bc})
	info := Certificate{Node: s.node, Filename: s.filename, Subject: oneline(s.subject), Issuer: oneline(s.issuer),
		NotBefore: s.notBefore.Unix(), NotAfter: s.notAfter.Unix(), SAN: []string{}, KeyType: "rsaEncryption", KeyBits: s.keyBits}
	if len(s.san) > 0 {
		var names []asn1.RawValue
		for _, n := range s.san {
			kind, v, _ := strings.Cut(n, ":")
			if kind == "DNS" {
				names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(v)})
				info.SAN = append(info.SAN, v)
				continue
			}
			ip := net.ParseIP(v)
			if ip4 := ip.To4(); ip4 != nil {
				names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 7, Bytes: ip4})
				info.SAN = append(info.SAN, ip4.String())
				continue
			}
			names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 7, Bytes: ip.To16()})
			// get_certificate_info: join(":", unpack("H4" x 8))
			groups := make([]string, 8)
			for i := range groups {
				groups[i] = fmt.Sprintf("%02x%02x", ip[2*i], ip[2*i+1])
			}
			info.SAN = append(info.SAN, strings.Join(groups, ":"))
		}
		san, _ := asn1.Marshal(names)
		tbs.Extensions = append(tbs.Extensions, pkix.Extension{Id: oidSAN, Value: san})
	}
	tbsDER, _ := asn1.Marshal(tbs)
	der, _ := asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: tbsDER}, sigAlg, asn1.BitString{Bytes: randomBytes(rng, s.issuerBits/8), BitLength: s.issuerBits}})
	sum := sha256.Sum256(der)
	fp := make([]string, len(sum))
	for i, b := range sum {
		fp[i] = fmt.Sprintf("%02X", b)
	}
	info.Fingerprint = strings.Join(fp, ":")
	info.PEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return info
}

func genCertificates(c *Cluster, cfg Config, t0 time.Time) []Certificate {
	rng := opsRand(cfg.Seed, 5)
	created := t0.Add(-time.Duration(120+rng.IntN(480)) * day).Truncate(time.Second)
	uuid := fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), 0x8000|rng.IntN(1<<14), rng.Int64N(1<<48))
	ca := []certAttr{{oidCN, "Proxmox Virtual Environment"}, {oidOU, uuid}, {oidO, "PVE Cluster Manager CA"}}
	caNotBefore := created.Add(-day) // faketime yesterday
	root := makeCertificate(rng, certSpec{filename: "pve-root-ca.pem", subject: ca, issuer: ca,
		serial: new(big.Int).SetBytes(randomBytes(rng, 20)), notBefore: caNotBefore, notAfter: caNotBefore.Add(3650 * day),
		keyBits: 4096, issuerBits: 4096, isCA: true})
	var out []Certificate
	joined := created
	for i := range c.Nodes {
		n := &c.Nodes[i]
		fqdn := n.Name + "." + certDomain
		nb := joined.Add(-day)
		r := root
		r.Node = n.Name
		out = append(out, r, makeCertificate(rng, certSpec{node: n.Name, filename: "pve-ssl.pem",
			subject: []certAttr{{oidOU, "PVE Cluster Node"}, {oidO, "Proxmox Virtual Environment"}, {oidCN, fqdn}},
			issuer:  ca, serial: big.NewInt(int64(i + 1)), notBefore: nb, notAfter: nb.Add(730 * day),
			keyBits: 2048, issuerBits: 4096,
			san: []string{"IP:127.0.0.1", "IP:::1", "DNS:localhost", "IP:" + n.IP, "DNS:" + n.Name, "DNS:" + fqdn}}))
		if i == 0 {
			na := t0.Add(6*day + time.Duration(rng.IntN(20*3600))*time.Second)
			out = append(out, makeCertificate(rng, certSpec{node: n.Name, filename: "pveproxy-ssl.pem",
				subject: []certAttr{{oidCN, fqdn}},
				issuer:  []certAttr{{oidC, "US"}, {oidO, "Let's Encrypt"}, {oidCN, "R11"}},
				serial:  new(big.Int).SetBytes(randomBytes(rng, 18)), notBefore: na.Add(-90 * day), notAfter: na,
				keyBits: 4096, issuerBits: 2048, san: []string{"DNS:" + fqdn}}))
		}
		joined = joined.Add(time.Duration(1+rng.IntN(3)) * day)
	}
	return out
}

func renderCertificates(certs []Certificate, node string) []byte {
	items := [][]byte{}
	for _, ce := range certs {
		if ce.Node != node {
			continue
		}
		items = append(items, newObj().str("filename", ce.Filename).str("fingerprint", ce.Fingerprint).
			str("subject", ce.Subject).str("issuer", ce.Issuer).int("notbefore", ce.NotBefore).int("notafter", ce.NotAfter).
			any("san", ce.SAN).str("pem", ce.PEM).str("public-key-type", ce.KeyType).
			int("public-key-bits", int64(ce.KeyBits)).bytes())
	}
	return envelope(array(items))
}

// subscriptionSockets is the socket count of the smallest key that covers
// the node (keys exist for 1, 2, 4 and 8 sockets: PVE/API2/Subscription.pm
// $key_pattern).
func subscriptionSockets(sockets int) int {
	for _, s := range []int{1, 2, 4, 8} {
		if s >= sockets {
			return s
		}
	}
	return 8
}

func genSubscriptions(c *Cluster, cfg Config, t0 time.Time) []Subscription {
	rng := opsRand(cfg.Seed, 6)
	var out []Subscription
	for i := range c.Nodes {
		n := &c.Nodes[i]
		s := Subscription{Node: n.Name, Status: "notfound", Sockets: n.Sockets,
			ServerID: strings.ToUpper(fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))}
		if !cfg.NoSubscription && (i < len(c.Nodes)-1 || len(c.Nodes) == 1) {
			ks := subscriptionSockets(n.Sockets)
			reg := dayStart(t0).Add(-time.Duration(30+rng.IntN(300)) * day)
			s.Status, s.Level = "active", "c"
			s.Key = fmt.Sprintf("pve%dc-%010x", ks, rng.Int64N(1<<40))
			cpus := "CPUs"
			if ks == 1 {
				cpus = "CPU"
			}
			s.ProductName = fmt.Sprintf("Proxmox VE Community Subscription %d %s/year", ks, cpus)
			s.RegDate = reg.Format("2006-01-02 15:04:05")
			s.NextDueDate = reg.AddDate(1, 0, 0).Format("2006-01-02")
			s.CheckTime = t0.Unix() - rng.Int64N(4*86400)
		}
		out = append(out, s)
	}
	return out
}

// renderSubscription answers /nodes/{node}/subscription; audit is Sys.Audit
// on /nodes/{node}.
func renderSubscription(s *Subscription, audit bool) []byte {
	o := newObj().str("status", s.Status)
	switch {
	case s.Status == "notfound":
		o.str("message", "There is no subscription key").str("url", subscriptionURL)
		if audit {
			o.str("serverid", s.ServerID)
		}
	case !audit:
		o.raw("message", []byte("null")).str("url", subscriptionURL)
	default:
		o.str("serverid", s.ServerID).int("checktime", s.CheckTime).str("key", s.Key).str("productname", s.ProductName).
			str("regdate", s.RegDate).str("nextduedate", s.NextDueDate).str("level", s.Level).
			int("sockets", int64(s.Sockets)).str("url", subscriptionURL)
	}
	return envelope(o.bytes())
}
