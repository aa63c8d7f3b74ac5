// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// decodeList decodes a list answer {"data":[entry, ...], ...} in one pass
// as it is read, entry by entry straight into T. Decoding the envelope, then
// a list of raw entries, then each entry scans a 4 MiB /cluster/resources six
// times and copies it twice; at 10,000 guests that was most of a metrics
// collection's CPU. Reading the whole answer first held it whole beside what
// was decoded from it.
//
// It accepts what encoding/json would: "data" matched case-insensitively (the
// last of duplicates wins), null or absent "data" as an empty answer. An entry
// of the wrong shape is skipped and named in an ErrDecode error while the
// others are returned; invalid JSON, a "data" that is not a list and trailing
// data fail the whole answer.
func decodeList[T any](answer io.Reader, path string) ([]T, error) {
	out, bad, err := scanList[T](answer)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrDecode, path, err)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("%w: GET %s: %d of %d entries skipped: %w", ErrDecode, path, len(bad), len(out)+len(bad), errors.Join(bad...))
	}
	return out, nil
}

func scanList[T any](answer io.Reader) (out []T, bad []error, err error) {
	dec := json.NewDecoder(answer)
	if err := expectDelim(dec, '{', "an object"); err != nil {
		return nil, nil, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		if key, _ := tok.(string); !strings.EqualFold(key, "data") {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, nil, err
			}
			continue
		}
		if out, bad, err = scanEntries[T](dec); err != nil {
			return nil, nil, err
		}
	}
	if err := expectDelim(dec, '}', "the end of the object"); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("invalid character after the top-level value")
	}
	return out, bad, nil
}

// scanEntries decodes the value of "data": null or a list.
func scanEntries[T any](dec *json.Decoder) (out []T, bad []error, err error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if tok == nil {
		return nil, nil, nil // "data": null
	}
	if tok != json.Delim('[') {
		return nil, nil, fmt.Errorf("expected a list in \"data\", got %v", describeToken(tok))
	}
	out = []T{}
	for i := 0; dec.More(); i++ {
		var v T
		if err := dec.Decode(&v); err != nil {
			var typeErr *json.UnmarshalTypeError
			if !errors.As(err, &typeErr) {
				return nil, nil, err // a syntax error fails the whole answer
			}
			bad = append(bad, fmt.Errorf("entry %d: %v", i, err))
			continue
		}
		out = append(out, v)
	}
	if err := expectDelim(dec, ']', "the end of the list"); err != nil {
		return nil, nil, err
	}
	return out, bad, nil
}

func expectDelim(dec *json.Decoder, want json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("expected %s, got %v", what, describeToken(tok))
	}
	return nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return string(v)
	case string:
		return "a string"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}
