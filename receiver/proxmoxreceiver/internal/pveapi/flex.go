// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Proxmox is written in Perl and sends a value as a JSON number or a string
// depending on how Perl last touched it ("vmid":"106", "mhz":"3400.000",
// "wearout":"N/A", "template":""). These types decode any of those forms.
// Empty strings, "N/A", null and values of the wrong kind (an object where a
// number belongs) leave the value unset instead of failing the whole
// response: one odd field must not blank every other value of the answer.

// FlexFloat is a number that may arrive as a number or a numeric string.
type FlexFloat struct {
	Value float64
	Valid bool
}

func (f *FlexFloat) UnmarshalJSON(b []byte) error {
	*f = FlexFloat{}
	if v, ok, err := decodeFlexNumber(b); err == nil && ok {
		f.Value, f.Valid = v, true
	}
	return nil
}

// FlexInt is an integer that may arrive as a number (possibly with a fraction)
// or a numeric string.
type FlexInt struct {
	Value int64
	Valid bool
}

func (f *FlexInt) UnmarshalJSON(b []byte) error {
	*f = FlexInt{}
	b = bytes.TrimSpace(b)
	// Fast path for plain integers, which is what Proxmox sends most of the time.
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		f.Value, f.Valid = n, true
		return nil
	}
	if v, ok, err := decodeFlexNumber(b); err == nil && ok {
		f.Value, f.Valid = int64(v), true
	}
	return nil
}

// FlexBool is a boolean that may arrive as 0/1, "0"/"1", "", true/false.
type FlexBool struct {
	Value bool
	Valid bool
}

func (f *FlexBool) UnmarshalJSON(b []byte) error {
	*f = FlexBool{}
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "null", `""`:
		return nil
	case "true":
		f.Value, f.Valid = true, true
		return nil
	case "false":
		f.Valid = true
		return nil
	}
	if v, ok, err := decodeFlexNumber(b); err == nil && ok {
		f.Value, f.Valid = v != 0, true
	}
	return nil
}

// FlexString accepts a string or a number (Proxmox sends names such as vmids
// either way) and keeps its text.
type FlexString string

func (f *FlexString) UnmarshalJSON(b []byte) error {
	*f = ""
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = ""
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err == nil {
			*f = FlexString(s)
		}
	case '{', '[':
		*f = "" // a container where text belongs: treat as absent
	default:
		*f = FlexString(b)
	}
	return nil
}

// decodeFlexNumber reads a JSON number or numeric string. ok is false for
// null, "", "N/A" and other placeholders that mean "absent".
func decodeFlexNumber(b []byte) (v float64, ok bool, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return 0, false, nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, false, err
		}
		s = strings.TrimSpace(s)
		if s == "" || strings.EqualFold(s, "N/A") || s == "-" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false, fmt.Errorf("expected a number, got %q", s)
		}
		return v, true, nil
	}
	v, err = strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false, fmt.Errorf("expected a number, got %s", abbreviate(b))
	}
	return v, true, nil
}

func abbreviate(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
