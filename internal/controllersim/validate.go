// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits of the upsert contract.
const (
	// MaxRequestEndpoints is the most endpoints one request may hold (413
	// above it).
	MaxRequestEndpoints = 1000
	maxAdditionalIPs    = 256
	maxSourceLength     = 64
	maxNameLength       = 255
	maxClassLength      = 64
)

var macPattern = regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){5}$`)

var intPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// ValidationError is one entry of a FastAPI-style 422 body's detail list.
type ValidationError struct {
	// Loc is the path to the value: "body", then field names and list indexes.
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// requestError is a refusal of the request before anything is stored.
type requestError struct {
	status int
	// detail is the answer's "detail": a string or []ValidationError.
	detail any
}

func (e *requestError) Error() string {
	if s, ok := e.detail.(string); ok {
		return s
	}
	b, _ := json.Marshal(e.detail)
	return string(b)
}

// The validation is the upsert route's, which this repository ships for
// MNM's controller (integrations/mnm-controller: mnm_endpoint_upsert
// validation.py read_upsert_request and models.py), since MNM's store itself
// validates nothing (endpoint_store.py upsert_endpoint takes any dict).

// decodeRequest parses and validates an upsert body as the contract says,
// the whole request before anything is stored. limit is the most endpoints
// accepted (413 above it).
func decodeRequest(body []byte, limit int) (*UpsertRequest, *requestError) {
	// FastAPI answers 400 to a body that is not UTF-8 (json.loads fails
	// before it can report a position).
	if !utf8.Valid(body) {
		return nil, &requestError{status: http.StatusBadRequest, detail: "There was an error parsing the body"}
	}
	var top any
	if err := json.Unmarshal(body, &top); err != nil {
		var pos any = 0
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			pos = syntax.Offset
		}
		return nil, &requestError{status: http.StatusBadRequest, detail: []ValidationError{{
			Loc: []any{"body", pos}, Msg: "JSON decode error: " + err.Error(), Type: "json_invalid",
		}}}
	}
	fields, ok := top.(map[string]any)
	if !ok {
		return nil, unprocessable(ValidationError{Loc: []any{"body"},
			Msg: "Input should be a valid dictionary or object to extract fields from", Type: "model_attributes_type"})
	}
	// Numbers need their literal (a vlan of 1.0 is not an int): decode again
	// with the raw values.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, &requestError{status: http.StatusBadRequest, detail: err.Error()}
	}

	// The count first: a request that is too large is answered 413 whatever
	// it holds, so that the exporter splits it.
	if eps, ok := fields["endpoints"].([]any); ok && len(eps) > limit {
		return nil, &requestError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf(
			"too many endpoints in one request: %d; the controller accepts at most %d per request: lower max_batch_size", len(eps), limit)}
	}

	var v validator
	req := &UpsertRequest{
		Source:       v.text(raw, []any{"body"}, "source", 1, maxSourceLength),
		ChangeSource: v.text(raw, []any{"body"}, "change_source", 1, maxSourceLength),
	}
	v.unknown(raw, []any{"body"}, "source", "change_source", "endpoints")
	if rawEndpoints, ok := v.field(raw, []any{"body"}, "endpoints", true); ok {
		var items []json.RawMessage
		if err := json.Unmarshal(rawEndpoints, &items); err != nil || items == nil {
			v.add([]any{"body", "endpoints"}, "Input should be a valid list", "list_type")
		} else if len(items) == 0 {
			v.add([]any{"body", "endpoints"}, "List should have at least 1 item after validation, not 0", "value_error")
		} else {
			req.Endpoints = make([]Endpoint, 0, len(items))
			for i, item := range items {
				req.Endpoints = append(req.Endpoints, v.endpoint(item, []any{"body", "endpoints", i}))
			}
		}
	}
	if len(v.errs) > 0 {
		return nil, unprocessable(v.errs...)
	}
	return req, nil
}

func unprocessable(errs ...ValidationError) *requestError {
	return &requestError{status: http.StatusUnprocessableEntity, detail: errs}
}

// validator collects every validation error of a request, as FastAPI does.
type validator struct {
	errs []ValidationError
}

func (v *validator) add(loc []any, msg, typ string) {
	v.errs = append(v.errs, ValidationError{Loc: loc, Msg: msg, Type: typ})
}

func at(parent []any, more ...any) []any {
	loc := make([]any, 0, len(parent)+len(more))
	loc = append(loc, parent...)
	return append(loc, more...)
}

// field returns the raw value of name; a missing required field is an error.
func (v *validator) field(obj map[string]json.RawMessage, parent []any, name string, required bool) (json.RawMessage, bool) {
	raw, ok := obj[name]
	if !ok {
		if required {
			v.add(at(parent, name), "Field required", "missing")
		}
		return nil, false
	}
	return raw, true
}

// unknown refuses the fields of obj that are not known, naming each.
func (v *validator) unknown(obj map[string]json.RawMessage, parent []any, known ...string) {
	var names []string
	for name := range obj {
		if !slices.Contains(known, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		v.add(at(parent, name), fmt.Sprintf("Extra inputs are not permitted: unknown field %q", name), "extra_forbidden")
	}
}

// str decodes a JSON string; anything else (null included) is an error.
func (v *validator) str(raw json.RawMessage, loc []any) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		v.add(loc, "Input should be a valid string", "string_type")
		return "", false
	}
	return s, true
}

// text is a required string of minLen..maxLen characters without control
// characters.
func (v *validator) text(obj map[string]json.RawMessage, parent []any, name string, minLen, maxLen int) string {
	raw, ok := v.field(obj, parent, name, true)
	if !ok {
		return ""
	}
	loc := at(parent, name)
	s, ok := v.str(raw, loc)
	if !ok {
		return ""
	}
	v.checkText(loc, name, s, minLen, maxLen)
	return s
}

func (v *validator) checkText(loc []any, name, s string, minLen, maxLen int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen:
		v.add(loc, fmt.Sprintf("%s should have at least %d character(s)", name, minLen), "value_error")
	case n > maxLen:
		v.add(loc, fmt.Sprintf("%s should have at most %d characters, not %d", name, maxLen, n), "value_error")
	}
	for _, r := range s {
		if isControl(r) {
			v.add(loc, fmt.Sprintf("%s must not contain control characters (found U+%04X)", name, r), "value_error")
			break
		}
	}
}

// isControl: C0 (NUL included), DEL and C1.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}

// ip checks an IPv4 or IPv6 address without prefix or zone.
func (v *validator) ip(loc []any, name, s string) bool {
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		v.add(loc, fmt.Sprintf("%s: %q is not an IPv4 or IPv6 address (no prefix, no zone)", name, s), "value_error")
		return false
	}
	return true
}

// timestamp checks an RFC 3339 UTC timestamp with the suffix Z.
func (v *validator) timestamp(loc []any, name, s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || s[len(s)-1] != 'Z' {
		v.add(loc, fmt.Sprintf("%s: %q is not an RFC 3339 UTC timestamp with the suffix Z", name, s), "value_error")
		return time.Time{}, false
	}
	return t, true
}

var endpointFields = []string{
	"mac", "ip", "additional_ips", "hostname", "classification",
	"device_name", "switch_port", "vlan", "last_seen", "first_seen",
}

// endpoint validates one item of endpoints.
func (v *validator) endpoint(item json.RawMessage, loc []any) Endpoint {
	var obj map[string]json.RawMessage
	if len(item) == 0 || item[0] != '{' || json.Unmarshal(item, &obj) != nil {
		v.add(loc, "Input should be a valid dictionary or object to extract fields from", "model_attributes_type")
		return Endpoint{}
	}
	var ep Endpoint

	if raw, ok := v.field(obj, loc, "mac", true); ok {
		if s, ok := v.str(raw, at(loc, "mac")); ok {
			ep.MAC = s
			if !macPattern.MatchString(s) {
				v.add(at(loc, "mac"), fmt.Sprintf("mac: %q is not an upper-case, colon-separated MAC address (^[0-9A-F]{2}(:[0-9A-F]{2}){5}$)", s), "value_error")
			}
		}
	}

	if raw, ok := v.field(obj, loc, "ip", true); ok && string(raw) != "null" {
		if s, ok := v.str(raw, at(loc, "ip")); ok && v.ip(at(loc, "ip"), "ip", s) {
			ep.IP = &s
		}
	}

	if raw, ok := v.field(obj, loc, "additional_ips", true); ok {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil || items == nil {
			v.add(at(loc, "additional_ips"), "Input should be a valid list", "list_type")
		} else {
			if len(items) > maxAdditionalIPs {
				v.add(at(loc, "additional_ips"), fmt.Sprintf("additional_ips should have at most %d items, not %d", maxAdditionalIPs, len(items)), "value_error")
			}
			ep.AdditionalIPs = make([]string, 0, len(items))
			seen := map[string]bool{}
			for j, item := range items {
				s, ok := v.str(item, at(loc, "additional_ips", j))
				if !ok || !v.ip(at(loc, "additional_ips", j), "additional_ips", s) {
					continue
				}
				if seen[s] {
					v.add(at(loc, "additional_ips", j), fmt.Sprintf("additional_ips: %q is listed twice", s), "value_error")
				}
				seen[s] = true
				ep.AdditionalIPs = append(ep.AdditionalIPs, s)
			}
		}
	}

	ep.Hostname = v.text(obj, loc, "hostname", 0, maxNameLength)
	ep.Classification = v.text(obj, loc, "classification", 0, maxClassLength)
	ep.DeviceName = v.text(obj, loc, "device_name", 0, maxNameLength)
	ep.SwitchPort = v.text(obj, loc, "switch_port", 0, maxNameLength)

	if raw, ok := v.field(obj, loc, "vlan", true); ok {
		// A bool, a string or a float (1.0, 1e2) is not an int.
		if !intPattern.Match(bytes.TrimSpace(raw)) {
			v.add(at(loc, "vlan"), "Input should be a valid integer", "int_type")
		} else if n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64); err != nil || n < 0 || n > 4094 {
			v.add(at(loc, "vlan"), fmt.Sprintf("vlan: %s is outside 0..4094", bytes.TrimSpace(raw)), "value_error")
		} else {
			ep.VLAN = int(n)
		}
	}

	var lastSeen time.Time
	lastOK := false
	if raw, ok := v.field(obj, loc, "last_seen", true); ok {
		if s, ok := v.str(raw, at(loc, "last_seen")); ok {
			ep.LastSeen = s
			lastSeen, lastOK = v.timestamp(at(loc, "last_seen"), "last_seen", s)
		}
	}
	// first_seen is optional (older exporters lack it) but checked; null is
	// absent, as the route's models.py Endpoint reads it.
	if raw, ok := v.field(obj, loc, "first_seen", false); ok && string(raw) != "null" {
		if s, ok := v.str(raw, at(loc, "first_seen")); ok {
			ep.FirstSeen = s
			if firstSeen, ok := v.timestamp(at(loc, "first_seen"), "first_seen", s); ok && lastOK && firstSeen.After(lastSeen) {
				v.add(at(loc, "first_seen"), fmt.Sprintf("first_seen %s is later than last_seen %s", s, ep.LastSeen), "value_error")
			}
		}
	}

	v.unknown(obj, loc, endpointFields...)
	return ep
}
