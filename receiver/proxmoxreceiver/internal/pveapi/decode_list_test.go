// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeList(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantIDs []string // nil: no entries
		wantBad int      // entries skipped, with an ErrDecode error
		wantErr string   // the whole answer fails
	}{
		{name: "list", body: `{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"cpu":"0.5"},{"id":"node/pve1","type":"node","node":"pve1","status":"online"}]}`, wantIDs: []string{"qemu/100", "node/pve1"}},
		{name: "empty list", body: `{"data":[]}`, wantIDs: []string{}},
		{name: "null data", body: `{"data":null}`},
		{name: "no data", body: `{"message":"x"}`},
		{name: "other members around data", body: ` {"success":1,"data":[{"id":"a"}],"total":{"n":[1,2]}} `, wantIDs: []string{"a"}},
		{name: "entry of the wrong shape is skipped", body: `{"data":[{"id":"a"},5,{"id":7},{"id":"b"}]}`, wantIDs: []string{"a", "b"}, wantBad: 2},
		{name: "null entry", body: `{"data":[null]}`, wantIDs: []string{""}},
		{name: "odd field values", body: `{"data":[{"id":"a","vmid":{"x":1},"mem":"N/A","name":42,"template":""}]}`, wantIDs: []string{"a"}},
		{name: "duplicate data: the last wins, as in encoding/json", body: `{"data":[{"id":"a"}],"data":[{"id":"b"}]}`, wantIDs: []string{"b"}},
		{name: "differently cased data, as in encoding/json", body: `{"Data":[{"id":"a"}]}`, wantIDs: []string{"a"}},
		{name: "truncated", body: `{"data":[{"id":"a"},{"id":"b"`, wantErr: "EOF"},
		{name: "syntax error in an entry", body: `{"data":[{"id":"a"},{"id":}]}`, wantErr: "invalid character"},
		{name: "missing comma", body: `{"data":[{"id":"a"} {"id":"b"}]}`, wantErr: "expected comma"},
		{name: "data is an object", body: `{"data":{"id":"a"}}`, wantErr: `expected a list in "data"`},
		{name: "data is a number", body: `{"data":5}`, wantErr: `expected a list in "data"`},
		{name: "top level list", body: `[{"id":"a"}]`, wantErr: "expected an object"},
		{name: "top level null", body: `null`, wantErr: "expected an object"},
		{name: "trailing data", body: `{"data":[]} {"data":[]}`, wantErr: "after the top-level value"},
		{name: "empty body", body: ``, wantErr: "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := decodeList[ClusterResource](strings.NewReader(tt.body), "/cluster/resources")
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrDecode)
				assert.ErrorContains(t, err, tt.wantErr)
				assert.ErrorContains(t, err, "GET /cluster/resources")
				assert.Nil(t, out)
				return
			}
			if tt.wantBad > 0 {
				require.ErrorIs(t, err, ErrDecode)
				assert.ErrorContains(t, err, fmt.Sprintf("%d of %d entries skipped", tt.wantBad, tt.wantBad+len(tt.wantIDs)))
			} else {
				require.NoError(t, err)
			}
			var ids []string
			if out != nil {
				ids = []string{}
			}
			for _, r := range out {
				ids = append(ids, r.ID)
			}
			assert.Equal(t, tt.wantIDs, ids)
		})
	}
}

func TestDecodeListKeepsFieldValues(t *testing.T) {
	out, err := decodeList[ClusterResource](strings.NewReader(`{"data":[{"id":"qemu/100","vmid":"100","cpu":"0.5","mem":1024,"name":42,"template":""}]}`), "/cluster/resources")
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, FlexInt{100, true}, out[0].VMID)
	assert.Equal(t, FlexFloat{0.5, true}, out[0].CPU)
	assert.Equal(t, FlexInt{1024, true}, out[0].Mem)
	assert.Equal(t, FlexString("42"), out[0].Name)
	assert.Equal(t, FlexBool{}, out[0].Template)
}

func BenchmarkDecodeClusterResources(b *testing.B) {
	body := []byte(`{"data":[`)
	for i := range 2000 {
		if i > 0 {
			body = append(body, ',')
		}
		body = fmt.Appendf(body, `{"id":"qemu/%d","type":"qemu","node":"pve%d","status":"running","vmid":%d,"name":"vm%d","template":0,"cpu":0.0123,"maxcpu":4,"mem":"1073741824","maxmem":4294967296,"disk":0,"maxdisk":34359738368,"netin":123456,"netout":654321,"diskread":1000,"diskwrite":2000,"uptime":86400,"tags":"a;b"}`, i, i%16, i, i)
	}
	body = append(body, "]}"...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeList[ClusterResource](bytes.NewReader(body), "/cluster/resources"); err != nil {
			b.Fatal(err)
		}
	}
}
