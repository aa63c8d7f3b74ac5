// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// upsertPath is the controller route, relative to `endpoint`.
const upsertPath = "api/endpoints/upsert"

// maxSourceRunes is the longest source (and change_source) the controller's
// route accepts.
const maxSourceRunes = 64

// upsertRequest is the body of POST {endpoint}/api/endpoints/upsert.
type upsertRequest struct {
	Source       string     `json:"source"`
	ChangeSource string     `json:"change_source"`
	Endpoints    []endpoint `json:"endpoints"`
}

// endpoint is one network interface of one endpoint as the controller wants it.
type endpoint struct {
	MAC string `json:"mac"`
	// IP is nil, and encoded as null, when the record carries no usable address.
	IP *string `json:"ip"`
	// AdditionalIPs is never nil so that it is always encoded as an array.
	AdditionalIPs  []string `json:"additional_ips"`
	Hostname       string   `json:"hostname"`
	Classification string   `json:"classification"`
	DeviceName     string   `json:"device_name"`
	SwitchPort     string   `json:"switch_port"`
	VLAN           int64    `json:"vlan"`
	// FirstSeen is what the controller records as first seen when the
	// upsert creates a row; without it MNM uses its own insert time, later
	// than LastSeen. It is LastSeen: a record says nothing of earlier times.
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
}

// endpointKey identifies an endpoint the same way the controller does.
type endpointKey struct {
	mac        string
	deviceName string
	switchPort string
	vlan       int64
}

func (e *endpoint) key() endpointKey {
	return endpointKey{mac: e.MAC, deviceName: e.DeviceName, switchPort: e.SwitchPort, vlan: e.VLAN}
}

// upsertResponse is the controller's 200 answer, one result per endpoint.
type upsertResponse struct {
	Results []upsertResult `json:"results"`
}

type upsertResult struct {
	MAC    string            `json:"mac"`
	Action string            `json:"action"`
	Events []json.RawMessage `json:"events"`
}

// cleanText trims s, removes control characters (a NUL byte makes
// PostgreSQL refuse the whole row; the route refuses every control
// character) and, when limit > 0, cuts it to limit runes.
func cleanText(s string, limit int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s))
	if limit > 0 && utf8.RuneCountInString(s) > limit {
		s = strings.TrimSpace(string([]rune(s)[:limit]))
	}
	return s
}
