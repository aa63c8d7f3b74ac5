// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package endpointrecord // import "github.com/mnm-net/otelcol-mnm/internal/endpointrecord"

// Attribute keys of an endpoint record, read from the log record's own
// attributes (not the resource's nor the scope's).
const (
	// AttrMAC is the MAC of the interface, the record's identity; see NormalizeMAC.
	AttrMAC = "mnm.endpoint.mac"
	// AttrIP is the primary IP address of the interface.
	AttrIP = "mnm.endpoint.ip"
	// AttrAdditionalIPs is a slice of the interface's other IP addresses.
	AttrAdditionalIPs = "mnm.endpoint.additional_ips"
	// AttrHostname is the endpoint's name.
	AttrHostname = "mnm.endpoint.hostname"
	// AttrClassification is the kind of endpoint, e.g. virtual_machine or container.
	AttrClassification = "mnm.endpoint.classification"
	// AttrDeviceName is the device the endpoint is attached to, e.g. the Proxmox node.
	AttrDeviceName = "mnm.endpoint.device_name"
	// AttrSwitchPort is the port of that device, e.g. the Proxmox bridge.
	AttrSwitchPort = "mnm.endpoint.switch_port"
	// AttrVLAN is the VLAN id, 0 when untagged; see ValidVLAN.
	AttrVLAN = "mnm.endpoint.vlan"
	// AttrSource is the connector that produced the record, e.g. proxmox.
	AttrSource = "mnm.endpoint.source"
)

// MaxVLAN is the largest VLAN id (IEEE 802.1Q reserves 4095).
const MaxVLAN = 4094

// ValidVLAN reports whether id is a VLAN id of the contract: 0 (untagged)
// through MaxVLAN.
func ValidVLAN(id int64) bool {
	return id >= 0 && id <= MaxVLAN
}
