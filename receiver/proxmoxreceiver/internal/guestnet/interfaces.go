// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// InterfaceAddrs is one interface as the guest reports it.
type InterfaceAddrs struct {
	MAC   string // normalised; "" when missing, invalid or all-zero (lo, tunnels, wireguard)
	Name  string // guest OS name: ens18, eth0, docker0, ...
	Addrs []netip.Addr
}

// ErrNoContainerProcess is Proxmox's null answer for a container's
// interfaces: the node that ran the request found no process of that
// container (pve-container src/PVE/LXC.pm get_interfaces returns nothing).
// The container stopped, or, before pve-container 5.2.0, it runs on another
// node than the one the request reached (bug #5674). It says nothing of the
// container's addresses.
var ErrNoContainerProcess = errors.New("no process of the container on the node that answered (Proxmox found nothing to list the interfaces of)")

// ParseLXCInterfaces decodes the data member of GET /nodes/{node}/lxc/{vmid}/interfaces (PVE >= 8.1), in
// both the 8.1-8.3 format ({name, hwaddr, inet, inet6}) and the >= 8.4 one (hardware-address, ip-addresses).
// A null answer is ErrNoContainerProcess.
func ParseLXCInterfaces(data json.RawMessage) ([]InterfaceAddrs, error) {
	var list []guestIface
	if len(data) == 0 {
		return nil, nil
	}
	if string(data) == "null" {
		return nil, ErrNoContainerProcess
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("decode lxc interfaces: %w", err)
	}
	return toInterfaceAddrsList(list), nil
}

// guestIface is the union of the qemu agent entry and both lxc /interfaces formats. Scalars are kept raw
// so a field of an unexpected JSON type is ignored instead of failing the whole answer.
type guestIface struct {
	Name            json.RawMessage `json:"name"`
	HardwareAddress json.RawMessage `json:"hardware-address"`
	IPAddresses     json.RawMessage `json:"ip-addresses"`
	HWAddr          json.RawMessage `json:"hwaddr"` // lxc 8.1-8.3, deprecated since
	Inet            json.RawMessage `json:"inet"`   // lxc "addr/prefix", last IPv4 only
	Inet6           json.RawMessage `json:"inet6"`  // lxc "addr/prefix", last IPv6 only
}

// guestIP is one ip-addresses element. ip-address-type ("ipv4"/"ipv6" for qemu, "inet"/"inet6" for lxc)
// and prefix (number or string) are not needed: the family comes from the address itself.
type guestIP struct {
	Address json.RawMessage `json:"ip-address"`
}

func (g guestIface) toInterfaceAddrs() InterfaceAddrs {
	out := InterfaceAddrs{Name: rawString(g.Name)}
	mac := rawString(g.HardwareAddress)
	if mac == "" {
		mac = rawString(g.HWAddr)
	}
	if m, err := NormalizeMAC(mac); err == nil {
		out.MAC = m
	}
	var ips []guestIP
	if json.Unmarshal(g.IPAddresses, &ips) == nil {
		for _, ip := range ips {
			out.Addrs = appendAddr(out.Addrs, rawString(ip.Address))
		}
	}
	// The old lxc fields are a subset of ip-addresses when both exist; appendAddr deduplicates.
	out.Addrs = appendAddr(out.Addrs, rawString(g.Inet))
	out.Addrs = appendAddr(out.Addrs, rawString(g.Inet6))
	return out
}

// appendAddr parses "addr" or "addr/prefix", drops any zone ("fe80::1%eth0") and 4in6 mapping, and appends
// the address unless it is invalid or already present.
func appendAddr(addrs []netip.Addr, s string) []netip.Addr {
	s = strings.TrimSpace(s)
	if s == "" {
		return addrs
	}
	if host, _, ok := strings.Cut(s, "/"); ok {
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return addrs
	}
	return appendUnique(addrs, a.WithZone("").Unmap())
}

// rawString returns a JSON string's value, or "" for anything else.
func rawString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func toInterfaceAddrsList(list []guestIface) []InterfaceAddrs {
	if len(list) == 0 {
		return nil
	}
	out := make([]InterfaceAddrs, 0, len(list))
	for _, g := range list {
		out = append(out, g.toInterfaceAddrs())
	}
	return out
}
