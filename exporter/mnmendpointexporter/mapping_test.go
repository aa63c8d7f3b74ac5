// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/internal/endpointrecord"
)

func TestMapRecord(t *testing.T) {
	now := time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
	base := func() plog.LogRecord {
		lr := plog.NewLogRecord()
		lr.Attributes().PutStr(endpointrecord.AttrMAC, "bc:24:11:c3:c7:41")
		lr.Attributes().PutStr(endpointrecord.AttrSource, "proxmox")
		return lr
	}
	tests := []struct {
		name     string
		mutate   func(plog.LogRecord)
		override string
		check    func(t *testing.T, ep endpoint, source string)
		drop     string
	}{
		{
			name: "defaults",
			check: func(t *testing.T, ep endpoint, source string) {
				assert.Equal(t, "proxmox", source)
				assert.Nil(t, ep.IP)
				assert.Equal(t, []string{}, ep.AdditionalIPs)
				assert.Equal(t, int64(0), ep.VLAN)
				assert.Equal(t, "2026-11-22T14:00:00Z", ep.LastSeen, "falls back to now")
			},
		},
		{
			name: "first_seen is last_seen, so a new row is never first seen after it was last seen",
			mutate: func(lr plog.LogRecord) {
				lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)))
			},
			check: func(t *testing.T, ep endpoint, _ string) {
				assert.Equal(t, "2026-03-04T05:06:07Z", ep.LastSeen)
				assert.Equal(t, ep.LastSeen, ep.FirstSeen)
			},
		},
		{
			// A NUL byte makes PostgreSQL refuse the row (MNM's store then
			// answers 500); the route refuses every control character.
			name: "control characters are removed from the free-text fields",
			mutate: func(lr plog.LogRecord) {
				lr.Attributes().PutStr(endpointrecord.AttrHostname, " web\x0001\t\u0085\x7f ")
				lr.Attributes().PutStr(endpointrecord.AttrClassification, "virtual\nmachine")
				lr.Attributes().PutStr(endpointrecord.AttrDeviceName, "pve\x001")
				lr.Attributes().PutStr(endpointrecord.AttrSwitchPort, "vmbr0\r")
			},
			check: func(t *testing.T, ep endpoint, _ string) {
				assert.Equal(t, "web01", ep.Hostname)
				assert.Equal(t, "virtualmachine", ep.Classification)
				assert.Equal(t, "pve1", ep.DeviceName)
				assert.Equal(t, "vmbr0", ep.SwitchPort)
			},
		},
		{
			name: "a hostname longer than the route takes is cut, not refused",
			mutate: func(lr plog.LogRecord) {
				lr.Attributes().PutStr(endpointrecord.AttrHostname, strings.Repeat("é", 300))
				lr.Attributes().PutStr(endpointrecord.AttrClassification, strings.Repeat("c", 65))
			},
			check: func(t *testing.T, ep endpoint, _ string) {
				assert.Equal(t, strings.Repeat("é", maxHostnameRunes), ep.Hostname)
				assert.Equal(t, strings.Repeat("c", maxClassificationRunes), ep.Classification)
			},
		},
		{
			name: "invalid UTF-8 in a hostname is removed",
			mutate: func(lr plog.LogRecord) {
				lr.Attributes().PutStr(endpointrecord.AttrHostname, "db\xff\xfe01")
			},
			check: func(t *testing.T, ep endpoint, _ string) { assert.Equal(t, "db01", ep.Hostname) },
		},
		{
			name: "observed timestamp when no timestamp",
			mutate: func(lr plog.LogRecord) {
				lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 2, 3, 4, 5, 999, time.FixedZone("x", 3600))))
			},
			check: func(t *testing.T, ep endpoint, _ string) { assert.Equal(t, "2026-01-02T02:04:05Z", ep.LastSeen) },
		},
		{
			name: "timestamp wins over observed",
			mutate: func(lr plog.LogRecord) {
				lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
				lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)))
			},
			check: func(t *testing.T, ep endpoint, _ string) { assert.Equal(t, "2026-01-01T00:00:00Z", ep.LastSeen) },
		},
		{
			name: "ips cleaned",
			mutate: func(lr plog.LogRecord) {
				lr.Attributes().PutStr(endpointrecord.AttrIP, "192.0.2.10/24")
				s := lr.Attributes().PutEmptySlice(endpointrecord.AttrAdditionalIPs)
				for _, ip := range []string{"2001:DB8::10", "192.0.2.10", "nonsense", "2001:db8::10", "fe80::1%eth0", "::ffff:198.51.100.1"} {
					s.AppendEmpty().SetStr(ip)
				}
				s.AppendEmpty().SetInt(7)
			},
			check: func(t *testing.T, ep endpoint, _ string) {
				require.NotNil(t, ep.IP)
				assert.Equal(t, "192.0.2.10", *ep.IP)
				assert.Equal(t, []string{"2001:db8::10", "fe80::1", "198.51.100.1"}, ep.AdditionalIPs)
			},
		},
		{
			name:   "invalid ip becomes null",
			mutate: func(lr plog.LogRecord) { lr.Attributes().PutStr(endpointrecord.AttrIP, "unknown") },
			check:  func(t *testing.T, ep endpoint, _ string) { assert.Nil(t, ep.IP) },
		},
		{
			name:   "vlan as string",
			mutate: func(lr plog.LogRecord) { lr.Attributes().PutStr(endpointrecord.AttrVLAN, "42") },
			check:  func(t *testing.T, ep endpoint, _ string) { assert.Equal(t, int64(42), ep.VLAN) },
		},
		{
			name:   "vlan as double",
			mutate: func(lr plog.LogRecord) { lr.Attributes().PutDouble(endpointrecord.AttrVLAN, 42) },
			check:  func(t *testing.T, ep endpoint, _ string) { assert.Equal(t, int64(42), ep.VLAN) },
		},
		{name: "vlan too large", mutate: func(lr plog.LogRecord) { lr.Attributes().PutInt(endpointrecord.AttrVLAN, 4095) }, drop: dropInvalidVLAN},
		{name: "vlan negative", mutate: func(lr plog.LogRecord) { lr.Attributes().PutInt(endpointrecord.AttrVLAN, -1) }, drop: dropInvalidVLAN},
		{name: "vlan fractional", mutate: func(lr plog.LogRecord) { lr.Attributes().PutDouble(endpointrecord.AttrVLAN, 1.5) }, drop: dropInvalidVLAN},
		{name: "device name longer than the route takes (part of the key: never cut)", mutate: func(lr plog.LogRecord) {
			lr.Attributes().PutStr(endpointrecord.AttrDeviceName, strings.Repeat("n", maxLocationRunes+1))
		}, drop: dropInvalidLocation},
		{name: "switch port longer than the route takes", mutate: func(lr plog.LogRecord) {
			lr.Attributes().PutStr(endpointrecord.AttrSwitchPort, strings.Repeat("é", maxLocationRunes+1))
		}, drop: dropInvalidLocation},
		{name: "source longer than the route takes", mutate: func(lr plog.LogRecord) {
			lr.Attributes().PutStr(endpointrecord.AttrSource, strings.Repeat("s", maxSourceRunes+1))
		}, drop: dropInvalidSource},
		{name: "source with only control characters", mutate: func(lr plog.LogRecord) {
			lr.Attributes().PutStr(endpointrecord.AttrSource, "\x00\t")
		}, drop: dropMissingSource},
		{name: "vlan text", mutate: func(lr plog.LogRecord) { lr.Attributes().PutStr(endpointrecord.AttrVLAN, "ten") }, drop: dropInvalidVLAN},
		{name: "mac missing", mutate: func(lr plog.LogRecord) { lr.Attributes().Remove(endpointrecord.AttrMAC) }, drop: dropInvalidMAC},
		{name: "mac wrong type", mutate: func(lr plog.LogRecord) { lr.Attributes().PutEmptyMap(endpointrecord.AttrMAC) }, drop: dropInvalidMAC},
		{name: "source missing", mutate: func(lr plog.LogRecord) { lr.Attributes().Remove(endpointrecord.AttrSource) }, drop: dropMissingSource},
		{
			name:     "source override",
			mutate:   func(lr plog.LogRecord) { lr.Attributes().Remove(endpointrecord.AttrSource) },
			override: "lab",
			check:    func(t *testing.T, _ endpoint, source string) { assert.Equal(t, "lab", source) },
		},
		{
			name: "strings trimmed, other attributes ignored",
			mutate: func(lr plog.LogRecord) {
				lr.Attributes().PutStr(endpointrecord.AttrHostname, " web01 ")
				lr.Attributes().PutStr(endpointrecord.AttrClassification, "virtual_machine")
				lr.Attributes().PutStr(endpointrecord.AttrDeviceName, "pve1")
				lr.Attributes().PutStr(endpointrecord.AttrSwitchPort, "vmbr0")
				lr.Attributes().PutStr("proxmox.vmid", "100")
			},
			check: func(t *testing.T, ep endpoint, _ string) {
				assert.Equal(t, endpoint{
					MAC: "BC:24:11:C3:C7:41", AdditionalIPs: []string{}, Hostname: "web01", Classification: "virtual_machine",
					DeviceName: "pve1", SwitchPort: "vmbr0", FirstSeen: "2026-11-22T14:00:00Z", LastSeen: "2026-11-22T14:00:00Z",
				}, ep)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := base()
			if tt.mutate != nil {
				tt.mutate(lr)
			}
			ep, source, drop := mapRecord(lr, tt.override, now)
			assert.Equal(t, tt.drop, drop)
			if tt.check != nil {
				tt.check(t, ep, source)
			}
		})
	}
}

// FuzzRecordMapping: mapping never panics, and whatever is not dropped makes
// a request body valid against the JSON Schema.
func FuzzRecordMapping(f *testing.F) {
	f.Add("bc:24:11:c3:c7:41", "192.0.2.10", "2001:db8::10,192.0.2.11", "web01", "virtual_machine", "pve1", "vmbr0", int64(110), uint64(1795000000000000000), "proxmox")
	f.Add("BC-24-11-C3-C7-41", "", "", "", "container", "pve2", "vmbr1", int64(0), uint64(0), "proxmox")
	f.Add("bad", "1.2.3", "x,,y", "h\xff", "", "", "", int64(-3), uint64(1), "")
	upsertSchema(f)
	now := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, mac, ip, additional, hostname, class, device, port string, vlan int64, ts uint64, source string) {
		lr := plog.NewLogRecord()
		attrs := lr.Attributes()
		attrs.PutStr(endpointrecord.AttrMAC, mac)
		attrs.PutStr(endpointrecord.AttrIP, ip)
		s := attrs.PutEmptySlice(endpointrecord.AttrAdditionalIPs)
		for _, a := range strings.Split(additional, ",") {
			s.AppendEmpty().SetStr(a)
		}
		attrs.PutStr(endpointrecord.AttrHostname, hostname)
		attrs.PutStr(endpointrecord.AttrClassification, class)
		attrs.PutStr(endpointrecord.AttrDeviceName, device)
		attrs.PutStr(endpointrecord.AttrSwitchPort, port)
		attrs.PutInt(endpointrecord.AttrVLAN, vlan)
		attrs.PutStr(endpointrecord.AttrSource, source)
		lr.SetTimestamp(pcommon.Timestamp(ts))

		ep, src, drop := mapRecord(lr, "", now)
		if drop != "" {
			return
		}
		again, err := endpointrecord.NormalizeMAC(ep.MAC)
		if err != nil || again != ep.MAC {
			t.Fatalf("normalised MAC %q does not normalise to itself", ep.MAC)
		}
		body, err := json.Marshal(upsertRequest{Source: src, ChangeSource: src, Endpoints: []endpoint{ep}})
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if err := validateBody(t, body); err != nil {
			t.Fatalf("body violates the schema: %v\n%s", err, body)
		}
	})
}
