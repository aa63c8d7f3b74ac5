// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// FaultRequest is the body of POST /_sim/fault. Every present member is
// applied; pointer members distinguish "absent" from "" (which clears).
type FaultRequest struct {
	NodeOffline string  `json:"node_offline,omitempty"`
	NodeOnline  string  `json:"node_online,omitempty"`
	FailPath    *string `json:"fail_path,omitempty"`
	Status      int     `json:"status,omitempty"`
	Message     string  `json:"message,omitempty"`
	HangNode    *string `json:"hang_node,omitempty"`
	HangPath    *string `json:"hang_path,omitempty"`
	MalformPath *string `json:"malform_path,omitempty"`
	OddPath     *string `json:"odd_values_path,omitempty"`
	Permissions string  `json:"permissions,omitempty"`
	// Version switches the Proxmox VE version ("7.4", "8.0", "8.4" or
	// "9", see Config.Version and ParseVersion).
	Version     string  `json:"version,omitempty"`
	TokenID     *string `json:"token_id,omitempty"`
	TokenSecret *string `json:"token_secret,omitempty"`
	// GuestIPs changes one guest NIC's addresses (see SetGuestIPs), e.g.
	// {"vmid":101,"nic":"net0","ipv4":["192.0.2.77/24"]}. Clear, which
	// is applied first, restores the generated ones.
	GuestIPs *GuestIPsRequest `json:"guest_ips,omitempty"`
	// GuestFSUsed changes the used bytes of one guest filesystem (see
	// SetGuestFilesystemUsed), e.g.
	// {"vmid":101,"mountpoint":"/","used_bytes":9663676416}.
	GuestFSUsed *GuestFSUsedRequest `json:"guest_fs_used,omitempty"`
	Clear       bool                `json:"clear,omitempty"`
}

// servedTemplates are the path templates this simulator serves.
func (s *Simulator) servedTemplates() []string {
	out := Templates()
	if s.cfg.Operations {
		out = append(out, OperationsTemplates()...)
	}
	if s.cfg.GuestAgentDetails {
		out = append(out, AgentDetailsTemplates()...)
	}
	return out
}

func (s *Simulator) validTemplate(t *string) error {
	if t == nil || *t == "" || slices.Contains(s.servedTemplates(), *t) {
		return nil
	}
	return fmt.Errorf("unknown path template %q: use one of %v", *t, s.servedTemplates())
}

func (s *Simulator) validNode(n string) error {
	if _, ok := s.nodeIdx[n]; n == "" || ok {
		return nil
	}
	return fmt.Errorf("unknown node %q", n)
}

// ApplyFault validates and applies a FaultRequest.
func (s *Simulator) ApplyFault(f FaultRequest) error {
	var perms Permissions
	var err error
	if f.Permissions != "" {
		perms, err = ParsePermissions(f.Permissions)
	}
	if f.Version != "" {
		_, verr := ParseVersion(f.Version)
		err = errors.Join(err, verr)
	}
	hangNode := ""
	if f.HangNode != nil {
		hangNode = *f.HangNode
	}
	err = errors.Join(err, s.validNode(f.NodeOffline), s.validNode(f.NodeOnline), s.validNode(hangNode),
		s.validTemplate(f.FailPath), s.validTemplate(f.HangPath), s.validTemplate(f.MalformPath), s.validTemplate(f.OddPath))
	if f.FailPath != nil && *f.FailPath != "" && (f.Status < 100 || f.Status > 999) {
		err = errors.Join(err, fmt.Errorf("fail_path needs a status between 100 and 999, got %d", f.Status))
	}
	if (f.TokenID == nil) != (f.TokenSecret == nil) {
		err = errors.Join(err, errors.New("token_id and token_secret must be set together"))
	}
	var ipv4, ipv6 []string
	if f.GuestIPs != nil {
		var gerr error
		ipv4, ipv6, gerr = s.checkGuestIPs(f.GuestIPs.VMID, f.GuestIPs.NIC, f.GuestIPs.IPv4, f.GuestIPs.IPv6)
		if gerr != nil {
			err = errors.Join(err, fmt.Errorf("guest_ips: %w", gerr))
		}
	}
	var fsGuest int
	var fsName string
	var fsTotal int64
	if f.GuestFSUsed != nil {
		var ferr error
		fsGuest, fsName, fsTotal, ferr = s.checkGuestFilesystemUsed(f.GuestFSUsed.VMID, f.GuestFSUsed.Mountpoint, f.GuestFSUsed.UsedBytes)
		if ferr != nil {
			err = errors.Join(err, fmt.Errorf("guest_fs_used: %w", ferr))
		}
	}
	if err != nil {
		return err
	}
	if f.Clear {
		s.ClearFaults()
	}
	if f.NodeOffline != "" {
		s.SetNodeOffline(f.NodeOffline, true)
	}
	if f.NodeOnline != "" {
		s.SetNodeOffline(f.NodeOnline, false)
	}
	if f.FailPath != nil {
		s.FailPath(*f.FailPath, f.Status, f.Message)
	}
	if f.HangNode != nil {
		s.HangNode(*f.HangNode)
	}
	if f.HangPath != nil {
		s.HangPath(*f.HangPath)
	}
	if f.MalformPath != nil {
		s.MalformPath(*f.MalformPath)
	}
	if f.OddPath != nil {
		s.OddValuesPath(*f.OddPath)
	}
	if f.Permissions != "" {
		s.SetPermissions(perms)
	}
	if f.TokenID != nil {
		s.SetToken(*f.TokenID, *f.TokenSecret)
	}
	if f.GuestIPs != nil {
		s.setGuestIPs(f.GuestIPs.VMID, f.GuestIPs.NIC, ipv4, ipv6)
	}
	if f.GuestFSUsed != nil {
		s.setGuestFilesystemUsed(fsGuest, fsName, fsTotal, f.GuestFSUsed.UsedBytes)
	}
	if f.Version != "" {
		return s.SetVersion(f.Version) // validated above
	}
	return nil
}

// serveControl answers /_sim/...: stats, truth and fault switches for
// out-of-process tests. It needs no authentication.
func (s *Simulator) serveControl(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	switch route {
	case "GET /_sim/stats":
		controlJSON(w, s.Stats())
	case "POST /_sim/stats/reset":
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case "GET /_sim/truth":
		controlJSON(w, s.Cluster())
	case "POST /_sim/fault":
		var f FaultRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			http.Error(w, fmt.Sprintf("decode fault request: %v", err), http.StatusBadRequest)
			return
		}
		if err := s.ApplyFault(f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, fmt.Sprintf("unknown control endpoint %q: use GET /_sim/stats, POST /_sim/stats/reset, GET /_sim/truth or POST /_sim/fault", route), http.StatusNotFound)
	}
}

func controlJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
