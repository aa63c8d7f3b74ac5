// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"strings"
	"time"
)

// UpsertRequest is the body of POST /api/endpoints/upsert.
type UpsertRequest struct {
	Source       string     `json:"source"`
	ChangeSource string     `json:"change_source"`
	Endpoints    []Endpoint `json:"endpoints"`
}

// Endpoint is one network interface of one endpoint, as the route receives it.
type Endpoint struct {
	MAC            string   `json:"mac"`
	IP             *string  `json:"ip"`
	AdditionalIPs  []string `json:"additional_ips"`
	Hostname       string   `json:"hostname"`
	Classification string   `json:"classification"`
	DeviceName     string   `json:"device_name"`
	SwitchPort     string   `json:"switch_port"`
	VLAN           int      `json:"vlan"`
	LastSeen       string   `json:"last_seen"`
	// FirstSeen is optional: empty when the request did not carry it.
	FirstSeen string `json:"first_seen,omitempty"`
}

// NoneLocation is what the store keeps as switch or port when device_name or
// switch_port is empty (endpoint_store.py upsert_endpoint: "(none)").
const NoneLocation = "(none)"

// Key identifies a row of the store: (mac, switch, port, vlan), the primary
// key of MNM's endpoints table (db.py Endpoint).
type Key struct {
	MAC string `json:"mac"`
	// DeviceName is the row's switch (current_switch).
	DeviceName string `json:"device_name"`
	// SwitchPort is the row's port (current_port).
	SwitchPort string `json:"switch_port"`
	VLAN       int    `json:"vlan"`
}

// Key returns the store key of e as upsert_endpoint (endpoint_store.py) forms
// it: upper-case MAC, NoneLocation for an empty device_name or switch_port.
func (e Endpoint) Key() Key {
	return Key{
		MAC:        strings.ToUpper(e.MAC),
		DeviceName: orNone(e.DeviceName),
		SwitchPort: orNone(e.SwitchPort),
		VLAN:       e.VLAN,
	}
}

func orNone(s string) string {
	if s == "" {
		return NoneLocation
	}
	return s
}

// Actions the route reports per endpoint (endpoint_store.py upsert_endpoint).
const (
	ActionNew       = "new"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
	// ActionSkipped: the endpoint has an empty MAC and nothing was written.
	// The route's validation refuses such a request, so it is not answered.
	ActionSkipped = "skipped"
	// ActionSkippedUplink is upsert_endpoint's answer for an endpoint on an
	// uplink port. The route passes no uplinks, so it is never answered.
	ActionSkippedUplink = "skipped_uplink"
)

// Event types (db.py EndpointEvent.event_type, as upsert_endpoint writes them).
const (
	EventAppeared        = "appeared"
	EventMovedPort       = "moved_port"
	EventMovedSwitch     = "moved_switch"
	EventIPChanged       = "ip_changed"
	EventHostnameChanged = "hostname_changed"
)

// UpsertResponse is the 200 answer.
type UpsertResponse struct {
	Results []Result `json:"results"`
}

// Result is the outcome for one endpoint of a request.
type Result struct {
	MAC    string   `json:"mac"`
	Action string   `json:"action"`
	Events []string `json:"events"`
}

// StoredEndpoint is a row of the store (db.py Endpoint), active or not.
type StoredEndpoint struct {
	MAC string `json:"mac"`
	// DeviceName is the row's switch, NoneLocation when the upsert had none.
	DeviceName string `json:"device_name"`
	// SwitchPort is the row's port, NoneLocation when the upsert had none.
	SwitchPort string `json:"switch_port"`
	VLAN       int    `json:"vlan"`
	// Active: the MAC's current location. Every other row of the MAC is history.
	Active bool `json:"active"`
	// IP is the row's current_ip, nil for none.
	IP *string `json:"ip"`
	// AdditionalIPs are the MAC's other known addresses, never IP itself.
	AdditionalIPs  []string  `json:"additional_ips"`
	Hostname       string    `json:"hostname"`
	Classification string    `json:"classification"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	// Source is the row's data_source: the source of the request that
	// created it, or "both" once a request of another source updated it.
	Source string `json:"source"`
	// Updates counts the upserts of this very row answered "updated".
	// Not an MNM column: a convenience for tests.
	Updates int `json:"updates"`
}

// Key returns the row's key.
func (e StoredEndpoint) Key() Key {
	return Key{MAC: e.MAC, DeviceName: e.DeviceName, SwitchPort: e.SwitchPort, VLAN: e.VLAN}
}

// Event is an entry of the event log (db.py EndpointEvent).
type Event struct {
	MAC      string  `json:"mac_address"`
	Type     string  `json:"event_type"`
	OldValue *string `json:"old_value"`
	NewValue *string `json:"new_value"`
	// Details as upsert_endpoint writes them: appeared {ip, switch, port},
	// moved_switch {old_port, new_port}, moved_port {switch}, else {}.
	Details   map[string]any `json:"details"`
	Timestamp time.Time      `json:"timestamp"`
}

// Change is a field-level change-history entry (db.py ChangeHistory with
// target_type "endpoint").
type Change struct {
	// MAC is the target_id.
	MAC string `json:"target_id"`
	// Field is one of ip, hostname, classification, switch, port, vlan.
	Field        string    `json:"field_name"`
	OldValue     *string   `json:"old_value"`
	NewValue     *string   `json:"new_value"`
	ChangeSource string    `json:"change_source"`
	ChangedAt    time.Time `json:"changed_at"`
}

// Anomalies are the two categories of endpoint_store.py get_anomalies that
// concern what the upsert route stores.
type Anomalies struct {
	IPConflicts   []IPConflict    `json:"ip_conflicts"`
	MultiLocation []MultiLocation `json:"multi_location"`
}

// IPConflict is an IP that is the current IP of active rows of more than one MAC.
type IPConflict struct {
	IP       string `json:"ip"`
	MACCount int    `json:"mac_count"`
	// MACs are the active rows holding IP.
	MACs []StoredEndpoint `json:"macs"`
}

// MultiLocation is a MAC with active rows on more than one switch.
type MultiLocation struct {
	MAC           string `json:"mac"`
	LocationCount int    `json:"location_count"`
	// Locations are the MAC's active rows.
	Locations []StoredEndpoint `json:"locations"`
}

// Stats are the controller's counters.
type Stats struct {
	// Requests counts every request to the upsert route, whatever its outcome.
	Requests int64 `json:"requests"`
	// Accepted counts upsert requests answered 200.
	Accepted int64 `json:"accepted"`
	// Unauthorized counts 401 answers; Invalid counts 400/404/405/413/415/422
	// answers (413 also for more than Config.MaxEndpoints endpoints).
	Unauthorized int64 `json:"unauthorized"`
	Invalid      int64 `json:"invalid"`
	// ServerErrors counts 500 answers of a store failure mid-request (see
	// Config.FailMAC and Fault.FailMAC).
	ServerErrors int64 `json:"server_errors"`
	// Faulted counts requests failed on purpose by a Fault.
	Faulted int64 `json:"faulted"`
	// Endpoints counts the endpoints the store committed, in accepted
	// requests and before the failure of a failed one: New + Updated +
	// Unchanged + Skipped.
	Endpoints int64 `json:"endpoints"`
	New       int64 `json:"new"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	// Skipped counts endpoints with an empty MAC (unreachable behind the
	// route's validation).
	Skipped int64 `json:"skipped"`
}

// Summary describes one accepted upsert request.
type Summary struct {
	Source       string
	ChangeSource string
	Endpoints    int
	New          int
	Updated      int
	Unchanged    int
	Skipped      int
}

// Fault makes the upsert route fail on purpose. The zero Fault fails nothing.
type Fault struct {
	// Status is answered instead of processing the request (e.g. 503).
	Status int `json:"status,omitempty"`
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string `json:"retry_after,omitempty"`
	// Down closes the connection without an answer.
	Down bool `json:"down,omitempty"`
	// FailMAC makes the store raise when it reaches an endpoint with this
	// MAC: the endpoints before it in the request stay stored, the answer is
	// 500. Status and Down take precedence over it.
	FailMAC string `json:"fail_mac,omitempty"`
	// Times limits the fault to the next n requests it fails (for FailMAC:
	// the next n requests holding the MAC); 0 means until cleared.
	Times int `json:"times,omitempty"`
	// Clear, over HTTP, removes the current fault.
	Clear bool `json:"clear,omitempty"`
}

// failsRequest: the fault answers instead of the route.
func (f Fault) failsRequest() bool {
	return f.Status != 0 || f.Down
}
