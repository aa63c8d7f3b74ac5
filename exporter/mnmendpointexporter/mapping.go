// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/internal/endpointrecord"
)

// Reasons a record is dropped before sending (the `reason` attribute of the
// records_dropped metric).
const (
	dropInvalidMAC    = "invalid_mac"
	dropInvalidVLAN   = "invalid_vlan"
	dropMissingSource = "missing_source"
	dropInvalidSource = "invalid_source"
	// dropInvalidLocation: a device_name or switch_port longer than the
	// controller's route takes; they are part of the key, so never cut.
	dropInvalidLocation = "invalid_location"
)

// mapRecord turns one log record into an endpoint and the source it belongs
// to. It returns a non-empty drop reason when the record cannot be sent.
// now is only used when the record carries neither timestamp.
func mapRecord(lr plog.LogRecord, sourceOverride string, now time.Time) (ep endpoint, source, dropReason string) {
	attrs := lr.Attributes()

	mac, err := endpointrecord.NormalizeMAC(stringAttr(attrs, endpointrecord.AttrMAC))
	if err != nil {
		return endpoint{}, "", dropInvalidMAC
	}
	vlan, ok := vlanAttr(attrs)
	if !ok {
		return endpoint{}, "", dropInvalidVLAN
	}
	source = sourceOverride
	if source == "" {
		source = cleanText(stringAttr(attrs, endpointrecord.AttrSource), 0)
	}
	if source == "" {
		return endpoint{}, "", dropMissingSource
	}
	if utf8.RuneCountInString(source) > maxSourceRunes {
		// The route would refuse every request of this source.
		return endpoint{}, "", dropInvalidSource
	}

	seen := lastSeen(lr, now)
	ep = endpoint{
		MAC:            mac,
		Hostname:       cleanText(stringAttr(attrs, endpointrecord.AttrHostname), maxHostnameRunes),
		Classification: cleanText(stringAttr(attrs, endpointrecord.AttrClassification), maxClassificationRunes),
		DeviceName:     cleanText(stringAttr(attrs, endpointrecord.AttrDeviceName), 0),
		SwitchPort:     cleanText(stringAttr(attrs, endpointrecord.AttrSwitchPort), 0),
		VLAN:           vlan,
		FirstSeen:      seen,
		LastSeen:       seen,
	}
	if utf8.RuneCountInString(ep.DeviceName) > maxLocationRunes || utf8.RuneCountInString(ep.SwitchPort) > maxLocationRunes {
		return endpoint{}, "", dropInvalidLocation
	}
	primary, hasPrimary := parseIP(stringAttr(attrs, endpointrecord.AttrIP))
	if hasPrimary {
		s := primary.String()
		ep.IP = &s
	}
	ep.AdditionalIPs = additionalIPs(attrs, primary, hasPrimary)
	return ep, source, ""
}

// Lengths the controller's upsert route accepts for the free-text fields
// (integrations/mnm-controller): longer text is cut rather than the endpoint
// refused. The key fields (device_name, switch_port) are never cut: two
// locations must not become one.
const (
	maxHostnameRunes       = 255
	maxClassificationRunes = 64
	maxLocationRunes       = 255
)

// vlanAttr reads the VLAN id; absent means untagged (0). Connectors should
// send an int, but a numeric string or an integral double is accepted too.
func vlanAttr(attrs pcommon.Map) (int64, bool) {
	v, ok := attrs.Get(endpointrecord.AttrVLAN)
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
		// Range-checked before the conversion, which overflows for huge values.
		if d != math.Trunc(d) || d < 0 || d > endpointrecord.MaxVLAN {
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
	if !endpointrecord.ValidVLAN(id) {
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
	v, ok := attrs.Get(endpointrecord.AttrAdditionalIPs)
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

// lastSeen is recordTime as RFC 3339 UTC with second precision.
func lastSeen(lr plog.LogRecord, now time.Time) string {
	return recordTime(lr, now).UTC().Truncate(time.Second).Format(time.RFC3339)
}

// recordTime is the record timestamp, else the observed timestamp, else now.
func recordTime(lr plog.LogRecord, now time.Time) time.Time {
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	if ts == 0 {
		return now
	}
	return ts.AsTime()
}
