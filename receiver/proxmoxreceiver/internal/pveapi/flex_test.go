// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlexDecoding(t *testing.T) {
	tests := []struct {
		in        string
		wantFloat FlexFloat
		wantInt   FlexInt
		wantBool  FlexBool
	}{
		{in: `1`, wantFloat: FlexFloat{1, true}, wantInt: FlexInt{1, true}, wantBool: FlexBool{true, true}},
		{in: `0`, wantFloat: FlexFloat{0, true}, wantInt: FlexInt{0, true}, wantBool: FlexBool{false, true}},
		{in: `0.0034`, wantFloat: FlexFloat{0.0034, true}, wantInt: FlexInt{0, true}, wantBool: FlexBool{true, true}},
		{in: `"106"`, wantFloat: FlexFloat{106, true}, wantInt: FlexInt{106, true}, wantBool: FlexBool{true, true}},
		{in: `"3400.000"`, wantFloat: FlexFloat{3400, true}, wantInt: FlexInt{3400, true}, wantBool: FlexBool{true, true}},
		{in: `"N/A"`},
		{in: `""`},
		{in: `null`},
		{in: `"abc"`},
		{in: `{"a":1}`},
		{in: `[1,2]`},
		{in: `true`, wantBool: FlexBool{true, true}},
		{in: `false`, wantBool: FlexBool{false, true}},
		{in: `"1e3"`, wantFloat: FlexFloat{1000, true}, wantInt: FlexInt{1000, true}, wantBool: FlexBool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f FlexFloat
			var i FlexInt
			var b FlexBool
			require.NoError(t, json.Unmarshal([]byte(tt.in), &f))
			require.NoError(t, json.Unmarshal([]byte(tt.in), &i))
			require.NoError(t, json.Unmarshal([]byte(tt.in), &b))
			assert.Equal(t, tt.wantFloat, f, "float")
			assert.Equal(t, tt.wantInt, i, "int")
			assert.Equal(t, tt.wantBool, b, "bool")
		})
	}
}

func TestFlexStringAndOddFieldsKeepTheRest(t *testing.T) {
	// One field of the wrong kind must not cost the other fields of the entry.
	var r ClusterResource
	require.NoError(t, json.Unmarshal([]byte(`{"type":"qemu","vmid":"101","name":{"odd":1},"mem":[1],"maxmem":"2048","cpu":null,"status":"running"}`), &r))
	assert.Equal(t, FlexInt{101, true}, r.VMID)
	assert.Equal(t, FlexString(""), r.Name)
	assert.False(t, r.Mem.Valid)
	assert.Equal(t, FlexInt{2048, true}, r.MaxMem)
	assert.False(t, r.CPU.Valid)
	assert.Equal(t, "running", r.Status)

	var name FlexString
	require.NoError(t, json.Unmarshal([]byte(`105`), &name))
	assert.Equal(t, FlexString("105"), name)
}

func FuzzFlexDecoding(f *testing.F) {
	for _, seed := range []string{`1`, `"2"`, `"N/A"`, `""`, `null`, `1.5e300`, `"-"`, `{"a":1}`, `[`, `"\u0000"`, `-0`, `"NaN"`, `"Inf"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fl FlexFloat
		var in FlexInt
		var bo FlexBool
		var st FlexString
		// None of them may panic or fail on any input; a value is either
		// decoded or left unset.
		for _, v := range []any{&fl, &in, &bo, &st} {
			if err := json.Unmarshal(data, v); err != nil && json.Valid(data) {
				t.Fatalf("valid JSON %q rejected: %v", data, err)
			}
		}
		if !fl.Valid && fl.Value != 0 {
			t.Fatalf("unset float carries a value")
		}
	})
}
