// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"encoding/json"
	"strconv"
)

// obj is a JSON object that keeps insertion order. Real PVE emits keys in
// Perl hash order; a fixed, non-alphabetical order keeps output
// deterministic without suggesting that clients may rely on sorting.
type obj struct{ b []byte }

func newObj() *obj { return &obj{b: append(make([]byte, 0, 256), '{')} }

func (o *obj) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = strconv.AppendQuote(o.b, k) // keys are plain ASCII
	o.b = append(o.b, ':')
}

func (o *obj) str(k, v string) *obj {
	o.key(k)
	o.b = appendString(o.b, v)
	return o
}

func (o *obj) int(k string, v int64) *obj {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}

// num writes a float the way Perl prints numbers: integral values without
// a fraction ("1", not "1.0").
func (o *obj) num(k string, v float64) *obj {
	o.key(k)
	o.b = appendNum(o.b, v)
	return o
}

func (o *obj) raw(k string, v []byte) *obj {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

func (o *obj) any(k string, v any) *obj {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	return o.raw(k, b)
}

func (o *obj) bytes() []byte { return append(o.b, '}') }

func appendNum(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendString quotes s as a JSON string (without HTML escaping, like Perl's
// JSON module).
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// array joins pre-rendered JSON values.
func array(items [][]byte) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// envelope wraps a payload as {"data":...}.
func envelope(payload []byte) []byte {
	b := make([]byte, 0, len(payload)+10)
	b = append(b, `{"data":`...)
	b = append(b, payload...)
	return append(b, '}')
}

func itoa(i int) string { return strconv.Itoa(i) }
