// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

// UpsertRequest is the body of POST /api/endpoints/upsert.
type UpsertRequest struct {
	Source       string     `json:"source"`
	ChangeSource string     `json:"change_source"`
	Endpoints    []Endpoint `json:"endpoints"`
}

// Endpoint is one network interface of one endpoint.
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
}

// Key identifies an endpoint in the store, as the controller does.
type Key struct {
	MAC        string
	DeviceName string
	SwitchPort string
	VLAN       int
}

// Key returns the store key of e.
func (e Endpoint) Key() Key {
	return Key{MAC: e.MAC, DeviceName: e.DeviceName, SwitchPort: e.SwitchPort, VLAN: e.VLAN}
}

// Actions the controller reports per endpoint.
const (
	ActionNew       = "new"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
	// ActionSkipped: the record is older than what the store holds.
	ActionSkipped = "skipped"
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

// StoredEndpoint is an endpoint as held in the store.
type StoredEndpoint struct {
	Endpoint
	Source       string `json:"source"`
	ChangeSource string `json:"change_source"`
	// Updates counts the upserts that changed this endpoint after creation.
	Updates int `json:"updates"`
}

// Stats are the controller's counters.
type Stats struct {
	// Requests counts every request to the upsert route, whatever its outcome.
	Requests int64 `json:"requests"`
	// Accepted counts upsert requests answered 200.
	Accepted int64 `json:"accepted"`
	// Unauthorized counts 401 answers; Invalid counts 400/405/413/415/422 answers
	// (413 also for more than Config.MaxEndpoints endpoints).
	Unauthorized int64 `json:"unauthorized"`
	Invalid      int64 `json:"invalid"`
	// ServerErrors counts 500 answers to requests holding an endpoint the
	// store cannot hold (see Config.MaxHostnameLength).
	ServerErrors int64 `json:"server_errors"`
	// Faulted counts requests failed on purpose (see Fault).
	Faulted int64 `json:"faulted"`
	// Endpoints counts endpoints received in accepted requests.
	Endpoints int64 `json:"endpoints"`
	New       int64 `json:"new"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Skipped   int64 `json:"skipped"`
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
	// Times limits the fault to the next n upsert requests; 0 means until cleared.
	Times int `json:"times,omitempty"`
	// Clear, over HTTP, removes the current fault.
	Clear bool `json:"clear,omitempty"`
}

func (f Fault) active() bool {
	return f.Status != 0 || f.Down
}
