package proxmoxreceiver

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generalList is the general path of getList: envelope, then a list of raw
// entries, then each entry. streamList must agree with it whenever it claims
// an answer (ok), and leave everything else to it.
func generalList[T any](body []byte) (out []T, bad int, err error) {
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, 0, err
	}
	if len(envelope.Data) == 0 || string(envelope.Data) == "null" {
		return nil, 0, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(envelope.Data, &raw); err != nil {
		return nil, 0, err
	}
	out = make([]T, 0, len(raw))
	for _, r := range raw {
		var v T
		if err := json.Unmarshal(r, &v); err != nil {
			bad++
			continue
		}
		out = append(out, v)
	}
	return out, bad, nil
}

func TestStreamListAgreesWithGeneralPath(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		wantOK bool
	}{
		{name: "list", body: `{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"cpu":"0.5"},{"id":"node/pve1","type":"node","node":"pve1","status":"online"}]}`, wantOK: true},
		{name: "empty list", body: `{"data":[]}`, wantOK: true},
		{name: "null data", body: `{"data":null}`, wantOK: true},
		{name: "no data", body: `{"message":"x"}`, wantOK: true},
		{name: "other members around data", body: ` {"success":1,"data":[{"id":"a"}],"total":{"n":[1,2]}} `, wantOK: true},
		{name: "entry of the wrong shape is skipped", body: `{"data":[{"id":"a"},5,{"id":7},{"id":"b"}]}`, wantOK: true},
		{name: "null entry", body: `{"data":[null]}`, wantOK: true},
		{name: "odd field values", body: `{"data":[{"id":"a","vmid":{"x":1},"mem":"N/A","name":42,"template":""}]}`, wantOK: true},
		{name: "truncated", body: `{"data":[{"id":"a"},{"id":"b"`},
		{name: "syntax error in an entry", body: `{"data":[{"id":"a"},{"id":}]}`},
		{name: "missing comma", body: `{"data":[{"id":"a"} {"id":"b"}]}`},
		{name: "data is an object", body: `{"data":{"id":"a"}}`},
		{name: "data is a number", body: `{"data":5}`},
		{name: "top level list", body: `[{"id":"a"}]`},
		{name: "top level null", body: `null`},
		{name: "trailing data", body: `{"data":[]} {"data":[]}`},
		{name: "duplicate data", body: `{"data":[{"id":"a"}],"data":[{"id":"b"}]}`},
		{name: "differently cased data", body: `{"Data":[{"id":"a"}]}`},
		{name: "empty body", body: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, bad, ok := streamList[clusterResource]([]byte(tt.body))
			require.Equal(t, tt.wantOK, ok)
			if !ok {
				return
			}
			want, wantBad, err := generalList[clusterResource]([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, want, out)
			assert.Len(t, bad, wantBad)
		})
	}
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
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := streamList[clusterResource](body); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := generalList[clusterResource](body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
