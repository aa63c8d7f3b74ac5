package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// streamList decodes {"data":[entry, ...], ...} in one pass, entry by entry
// straight into T. The general path (envelope, then []json.RawMessage, then
// each entry) scans a 4 MiB /cluster/resources six times and copies it
// twice; at 10,000 guests that was most of a metrics collection's CPU.
//
// ok is false for anything else (invalid JSON, a "data" that is not a list or
// null, duplicate or differently cased "data" keys, trailing data): the caller
// then takes the general path, so errors read exactly as before. An entry of
// the wrong shape is skipped and reported in bad, like the general path does.
func streamList[T any](body []byte) (out []T, bad []error, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	seenData := false
	for dec.More() {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		if err != nil || !isKey {
			return nil, nil, false
		}
		if key != "data" {
			if bytes.EqualFold([]byte(key), []byte("data")) {
				return nil, nil, false // encoding/json matches keys case-insensitively
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, nil, false
			}
			continue
		}
		if seenData {
			return nil, nil, false
		}
		seenData = true
		if out, bad, ok = streamEntries[T](dec); !ok {
			return nil, nil, false
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, false // trailing data: json.Unmarshal rejects it
	}
	return out, bad, true
}

// streamEntries decodes the value of "data": null or a list.
func streamEntries[T any](dec *json.Decoder) (out []T, bad []error, ok bool) {
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, false
	}
	if tok == nil {
		return nil, nil, true // "data": null
	}
	if tok != json.Delim('[') {
		return nil, nil, false
	}
	out = []T{}
	for i := 0; dec.More(); i++ {
		var v T
		if err := dec.Decode(&v); err != nil {
			var typeErr *json.UnmarshalTypeError
			if !errors.As(err, &typeErr) {
				return nil, nil, false // a syntax error fails the whole answer
			}
			bad = append(bad, fmt.Errorf("entry %d: %v", i, err))
			continue
		}
		out = append(out, v)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, nil, false
	}
	return out, bad, true
}
