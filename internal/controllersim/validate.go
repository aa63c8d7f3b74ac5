// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"time"
)

var macPattern = regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){5}$`)

var requiredEndpointFields = []string{
	"mac", "ip", "additional_ips", "hostname", "classification",
	"device_name", "switch_port", "vlan", "last_seen",
}

// errBadJSON marks a body that is not the expected JSON document (400);
// other validation errors are semantic (422).
var errBadJSON = errors.New("invalid JSON body")

// decodeRequest parses and validates an upsert body.
func decodeRequest(body []byte) (*UpsertRequest, error) {
	var req UpsertRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadJSON, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON document", errBadJSON)
	}
	// Presence of every field (null counts for ip) cannot be seen on the struct.
	var raw struct {
		Endpoints []map[string]json.RawMessage `json:"endpoints"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadJSON, err)
	}
	for i, ep := range raw.Endpoints {
		for _, field := range requiredEndpointFields {
			if _, ok := ep[field]; !ok {
				return nil, fmt.Errorf("endpoints[%d].%s is required", i, field)
			}
		}
	}
	return &req, validateRequest(&req)
}

func validateRequest(req *UpsertRequest) error {
	if req.Source == "" {
		return errors.New("source is required")
	}
	if req.ChangeSource == "" {
		return errors.New("change_source is required")
	}
	if len(req.Endpoints) == 0 {
		return errors.New("endpoints must not be empty")
	}
	for i, ep := range req.Endpoints {
		if err := validateEndpoint(ep); err != nil {
			return fmt.Errorf("endpoints[%d].%w", i, err)
		}
	}
	return nil
}

func validateEndpoint(ep Endpoint) error {
	if !macPattern.MatchString(ep.MAC) {
		return fmt.Errorf("mac: %q is not an upper-case, colon-separated MAC address", ep.MAC)
	}
	if ep.IP != nil {
		if _, err := netip.ParseAddr(*ep.IP); err != nil {
			return fmt.Errorf("ip: %q is not an IP address (use null when unknown)", *ep.IP)
		}
	}
	if ep.AdditionalIPs == nil {
		return errors.New("additional_ips: must be an array (possibly empty), not null")
	}
	seen := map[string]bool{}
	for j, ip := range ep.AdditionalIPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("additional_ips[%d]: %q is not an IP address", j, ip)
		}
		if seen[ip] {
			return fmt.Errorf("additional_ips[%d]: %q is listed twice", j, ip)
		}
		seen[ip] = true
	}
	if ep.VLAN < 0 || ep.VLAN > 4094 {
		return fmt.Errorf("vlan: %d is outside 0..4094", ep.VLAN)
	}
	t, err := time.Parse(time.RFC3339, ep.LastSeen)
	if err != nil {
		return fmt.Errorf("last_seen: %q is not an RFC 3339 timestamp", ep.LastSeen)
	}
	if _, offset := t.Zone(); offset != 0 || ep.LastSeen[len(ep.LastSeen)-1] != 'Z' {
		return fmt.Errorf("last_seen: %q must be in UTC (suffix Z)", ep.LastSeen)
	}
	return nil
}
