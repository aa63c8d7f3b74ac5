package proxmoxreceiver

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlexDecoding(t *testing.T) {
	tests := []struct {
		in        string
		wantFloat flexFloat
		wantInt   flexInt
		wantBool  flexBool
	}{
		{in: `1`, wantFloat: flexFloat{1, true}, wantInt: flexInt{1, true}, wantBool: flexBool{true, true}},
		{in: `0`, wantFloat: flexFloat{0, true}, wantInt: flexInt{0, true}, wantBool: flexBool{false, true}},
		{in: `0.0034`, wantFloat: flexFloat{0.0034, true}, wantInt: flexInt{0, true}, wantBool: flexBool{true, true}},
		{in: `"106"`, wantFloat: flexFloat{106, true}, wantInt: flexInt{106, true}, wantBool: flexBool{true, true}},
		{in: `"3400.000"`, wantFloat: flexFloat{3400, true}, wantInt: flexInt{3400, true}, wantBool: flexBool{true, true}},
		{in: `"N/A"`},
		{in: `""`},
		{in: `null`},
		{in: `"abc"`},
		{in: `{"a":1}`},
		{in: `[1,2]`},
		{in: `true`, wantBool: flexBool{true, true}},
		{in: `false`, wantBool: flexBool{false, true}},
		{in: `"1e3"`, wantFloat: flexFloat{1000, true}, wantInt: flexInt{1000, true}, wantBool: flexBool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f flexFloat
			var i flexInt
			var b flexBool
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
	var r clusterResource
	require.NoError(t, json.Unmarshal([]byte(`{"type":"qemu","vmid":"101","name":{"odd":1},"mem":[1],"maxmem":"2048","cpu":null,"status":"running"}`), &r))
	assert.Equal(t, flexInt{101, true}, r.VMID)
	assert.Equal(t, flexString(""), r.Name)
	assert.False(t, r.Mem.Valid)
	assert.Equal(t, flexInt{2048, true}, r.MaxMem)
	assert.False(t, r.CPU.Valid)
	assert.Equal(t, "running", r.Status)

	var name flexString
	require.NoError(t, json.Unmarshal([]byte(`105`), &name))
	assert.Equal(t, flexString("105"), name)
}

func FuzzFlexDecoding(f *testing.F) {
	for _, seed := range []string{`1`, `"2"`, `"N/A"`, `""`, `null`, `1.5e300`, `"-"`, `{"a":1}`, `[`, `"\u0000"`, `-0`, `"NaN"`, `"Inf"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fl flexFloat
		var in flexInt
		var bo flexBool
		var st flexString
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
