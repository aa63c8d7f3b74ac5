// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"encoding/hex"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Attribute keys of the record contract shared with the mnm connectors.
const (
	attrMAC            = "mnm.endpoint.mac"
	attrIP             = "mnm.endpoint.ip"
	attrAdditionalIPs  = "mnm.endpoint.additional_ips"
	attrHostname       = "mnm.endpoint.hostname"
	attrClassification = "mnm.endpoint.classification"
	attrDeviceName     = "mnm.endpoint.device_name"
	attrSwitchPort     = "mnm.endpoint.switch_port"
	attrVLAN           = "mnm.endpoint.vlan"
	attrSource         = "mnm.endpoint.source"
)

// Reasons a record is dropped before sending (the `reason` attribute of the
// records_dropped metric).
const (
	dropInvalidMAC    = "invalid_mac"
	dropInvalidVLAN   = "invalid_vlan"
	dropMissingSource = "missing_source"
)

const maxVLAN = 4094

// mapRecord turns one log record into an endpoint and the source it belongs
// to. It returns a non-empty drop reason when the record cannot be sent.
// now is only used when the record carries neither timestamp.
func mapRecord(lr plog.LogRecord, sourceOverride string, now time.Time) (ep endpoint, source, dropReason string) {
	attrs := lr.Attributes()

	mac, ok := normalizeMAC(stringAttr(attrs, attrMAC))
	if !ok {
		return endpoint{}, "", dropInvalidMAC
	}
	vlan, ok := vlanAttr(attrs)
	if !ok {
		return endpoint{}, "", dropInvalidVLAN
	}
	source = sourceOverride
	if source == "" {
		source = strings.TrimSpace(stringAttr(attrs, attrSource))
	}
	if source == "" {
		return endpoint{}, "", dropMissingSource
	}

	ep = endpoint{
		MAC:            mac,
		Hostname:       strings.TrimSpace(stringAttr(attrs, attrHostname)),
		Classification: strings.TrimSpace(stringAttr(attrs, attrClassification)),
		DeviceName:     strings.TrimSpace(stringAttr(attrs, attrDeviceName)),
		SwitchPort:     strings.TrimSpace(stringAttr(attrs, attrSwitchPort)),
		VLAN:           vlan,
		LastSeen:       lastSeen(lr, now),
	}
	primary, hasPrimary := parseIP(stringAttr(attrs, attrIP))
	if hasPrimary {
		s := primary.String()
		ep.IP = &s
	}
	ep.AdditionalIPs = additionalIPs(attrs, primary, hasPrimary)
	return ep, source, ""
}

// normalizeMAC accepts a MAC in any case written as six colon- or
// dash-separated octets, three dot-separated groups (Cisco) or twelve bare hex
// digits, and returns it as upper-case AA:BB:CC:DD:EE:FF. The all-zero and
// group (multicast/broadcast) addresses are rejected: they never identify an
// interface.
func normalizeMAC(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	var digits string
	switch len(raw) {
	case 17:
		sep := raw[2]
		if sep != ':' && sep != '-' {
			return "", false
		}
		parts := strings.Split(raw, string(sep))
		if len(parts) != 6 {
			return "", false
		}
		for _, p := range parts {
			if len(p) != 2 {
				return "", false
			}
		}
		digits = strings.Join(parts, "")
	case 14:
		parts := strings.Split(raw, ".")
		if len(parts) != 3 {
			return "", false
		}
		for _, p := range parts {
			if len(p) != 4 {
				return "", false
			}
		}
		digits = strings.Join(parts, "")
	case 12:
		digits = raw
	default:
		return "", false
	}
	b, err := hex.DecodeString(digits)
	if err != nil || len(b) != 6 {
		return "", false
	}
	if b[0]&0x01 != 0 || (b[0]|b[1]|b[2]|b[3]|b[4]|b[5]) == 0 {
		return "", false
	}
	const hexUpper = "0123456789ABCDEF"
	out := make([]byte, 0, 17)
	for i, octet := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hexUpper[octet>>4], hexUpper[octet&0x0f])
	}
	return string(out), true
}

// vlanAttr reads the VLAN id; absent means untagged (0). Connectors should
// send an int, but a numeric string or an integral double is accepted too.
func vlanAttr(attrs pcommon.Map) (int64, bool) {
	v, ok := attrs.Get(attrVLAN)
	if !ok {
		return 0, true
	}
	var id int64
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return 0, true
	case pcommon.ValueTypeInt:
		id = v.Int()
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if d != math.Trunc(d) || d < 0 || d > maxVLAN {
			return 0, false
		}
		id = int64(d)
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		if s == "" {
			return 0, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		id = n
	default:
		return 0, false
	}
	if id < 0 || id > maxVLAN {
		return 0, false
	}
	return id, true
}

// stringAttr returns a string attribute; other scalar types are rendered as
// text so that a connector sending e.g. an int hostname is not lost.
func stringAttr(attrs pcommon.Map, key string) string {
	v, ok := attrs.Get(key)
	if !ok {
		return ""
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		return v.AsString()
	default:
		return ""
	}
}

// parseIP accepts an IPv4 or IPv6 address (a CIDR suffix is stripped: some
// APIs report addresses with their prefix length). Zones are removed since
// they mean nothing to the controller.
func parseIP(raw string) (netip.Addr, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return netip.Addr{}, false
	}
	if i := strings.IndexByte(raw, '/'); i >= 0 {
		raw = raw[:i]
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.WithZone("").Unmap(), true
}

// additionalIPs returns the valid, distinct extra addresses, without the
// primary one; never nil.
func additionalIPs(attrs pcommon.Map, primary netip.Addr, hasPrimary bool) []string {
	out := []string{}
	v, ok := attrs.Get(attrAdditionalIPs)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return out
	}
	seen := map[netip.Addr]bool{}
	if hasPrimary {
		seen[primary] = true
	}
	s := v.Slice()
	for i := 0; i < s.Len(); i++ {
		item := s.At(i)
		if item.Type() != pcommon.ValueTypeStr {
			continue
		}
		addr, ok := parseIP(item.Str())
		if !ok || seen[addr] {
			continue
		}
		seen[addr] = true
		out = append(out, addr.String())
	}
	return out
}

// lastSeen is the record timestamp, else the observed timestamp, else now,
// as RFC 3339 UTC with second precision.
func lastSeen(lr plog.LogRecord, now time.Time) string {
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	t := now
	if ts != 0 {
		t = ts.AsTime()
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
