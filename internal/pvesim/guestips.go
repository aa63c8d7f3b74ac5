// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"errors"
	"fmt"
	"net/netip"
)

// GuestIPsRequest is the guest_ips member of a FaultRequest: the addresses
// SetGuestIPs gives one guest NIC. An absent (or null) ipv4 or ipv6 keeps
// that family's addresses, an empty list removes them.
type GuestIPsRequest struct {
	VMID int      `json:"vmid"`
	NIC  string   `json:"nic"`
	IPv4 []string `json:"ipv4"`
	IPv6 []string `json:"ipv6"`
}

// nicRef names one NIC of one guest.
type nicRef struct {
	vmid int
	key  string
}

// nicIPs are the addresses of one NIC.
type nicIPs struct{ ipv4, ipv6 []string }

// guestIPState holds what SetGuestIPs changed. guestMu guards the IPv4 and
// IPv6 of every NIC in the cluster: answers about guests are rendered under
// its read lock, SetGuestIPs and ClearFaults write under its write lock.
// Writers put fresh slices in place, never change a slice's elements.
type guestIPState struct {
	orig map[nicRef]nicIPs // addresses New generated, of every changed NIC
}

// parsePrefixes checks CIDR strings of one address family and returns them
// in canonical form. nil stays nil (keep the addresses).
func parsePrefixes(family string, cidrs []string) ([]string, error) {
	if cidrs == nil {
		return nil, nil
	}
	out := make([]string, 0, len(cidrs))
	var errs []error
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s address %q: %w", family, c, err))
		case family == "ipv4" && !p.Addr().Is4(), family == "ipv6" && !p.Addr().Is6():
			errs = append(errs, fmt.Errorf("%s address %q is not an %s address", family, c, family))
		default:
			out = append(out, p.String())
		}
	}
	return out, errors.Join(errs...)
}

// checkGuestIPs validates a change of a NIC's addresses and returns the
// canonical addresses.
func (s *Simulator) checkGuestIPs(vmid int, nicKey string, ipv4, ipv6 []string) (v4, v6 []string, err error) {
	gi, ok := s.guests[vmid]
	if !ok {
		return nil, nil, fmt.Errorf("unknown guest %d", vmid)
	}
	if s.nicIndex(gi, nicKey) < 0 {
		return nil, nil, fmt.Errorf("guest %d has no NIC %q", vmid, nicKey)
	}
	if ipv4 == nil && ipv6 == nil {
		return nil, nil, fmt.Errorf("guest %d %s: no ipv4 or ipv6 addresses to set", vmid, nicKey)
	}
	v4, err4 := parsePrefixes("ipv4", ipv4)
	v6, err6 := parsePrefixes("ipv6", ipv6)
	if err := errors.Join(err4, err6); err != nil {
		return nil, nil, fmt.Errorf("guest %d %s: %w", vmid, nicKey, err)
	}
	return v4, v6, nil
}

// nicIndex returns the index of the NIC with key nicKey of guest gi, or -1.
// Keys never change after New.
func (s *Simulator) nicIndex(gi int, nicKey string) int {
	for j := range s.cluster.Guests[gi].NICs {
		if s.cluster.Guests[gi].NICs[j].Key == nicKey {
			return j
		}
	}
	return -1
}

// SetGuestIPs changes the global addresses guest vmid reports on its NIC
// nicKey (net0, net1, ...), as when an operator re-addresses a running
// guest: ipv4 and ipv6 are CIDR strings ("192.0.2.77/24",
// "2001:db8::77/64"); nil keeps that family's addresses, an empty slice
// removes them. The change shows in the agent's and the container
// interfaces' answers, in a container's netN config line (ip=, ip6=,
// unless it uses DHCP or SLAAC) and in Cluster. A qemu config holds no
// addresses and stays as it is; so do netstat and the link-local
// addresses, which follow the MAC. ClearFaults restores the generated
// addresses. An unknown vmid or NIC key, a malformed address or one of
// the other family is an error, and nothing changes.
func (s *Simulator) SetGuestIPs(vmid int, nicKey string, ipv4, ipv6 []string) error {
	v4, v6, err := s.checkGuestIPs(vmid, nicKey, ipv4, ipv6)
	if err != nil {
		return err
	}
	s.setGuestIPs(vmid, nicKey, v4, v6)
	return nil
}

// setGuestIPs applies checked addresses.
func (s *Simulator) setGuestIPs(vmid int, nicKey string, v4, v6 []string) {
	gi := s.guests[vmid]
	n := &s.cluster.Guests[gi].NICs[s.nicIndex(gi, nicKey)]
	s.guestMu.Lock()
	defer s.guestMu.Unlock()
	ref := nicRef{vmid, nicKey}
	if _, saved := s.guestIPs.orig[ref]; !saved {
		if s.guestIPs.orig == nil {
			s.guestIPs.orig = map[nicRef]nicIPs{}
		}
		s.guestIPs.orig[ref] = nicIPs{n.IPv4, n.IPv6}
	}
	if v4 != nil {
		n.IPv4 = v4
	}
	if v6 != nil {
		n.IPv6 = v6
	}
}

// restoreGuestIPs undoes every SetGuestIPs.
func (s *Simulator) restoreGuestIPs() {
	s.guestMu.Lock()
	defer s.guestMu.Unlock()
	for ref, ips := range s.guestIPs.orig {
		gi := s.guests[ref.vmid]
		n := &s.cluster.Guests[gi].NICs[s.nicIndex(gi, ref.key)]
		n.IPv4, n.IPv6 = ips.ipv4, ips.ipv6
	}
	s.guestIPs.orig = nil
}
