// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const apiPrefix = "/api2/json"

// Handler serves /api2/json/... and the /_sim/ control endpoints.
func (s *Simulator) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Simulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	if !strings.HasPrefix(path, apiPrefix+"/") {
		// pveproxy hands everything else to its static file handler
		writePlain(w, http.StatusInternalServerError, fmt.Sprintf("no such file '%s'", path))
		return
	}
	rel := strings.TrimPrefix(path, apiPrefix)
	if r.Method != http.MethodGet {
		s.stats.nonGET()
		w.Header().Set("Allow", http.MethodGet)
		s.writeError(w, apiError{status: http.StatusMethodNotAllowed, msg: fmt.Sprintf("Method '%s %s' not allowed", r.Method, rel)})
		return
	}
	template, node, vmid, ok := match(rel)
	if !ok {
		s.stats.get("")
		s.writeError(w, apiError{status: http.StatusNotImplemented, msg: fmt.Sprintf("Method 'GET %s' not implemented", rel)})
		return
	}
	s.stats.get(template)

	ctx := r.Context()
	ni, knownNode := s.nodeIdx[node]
	slot := 0 // cluster-wide paths and unknown nodes are served by the first node
	if knownNode {
		slot = ni
	}
	if finish(s.acquire(ctx, slot)) {
		return
	}
	defer s.release(slot)
	if finish(s.sleep(ctx, s.cfg.Latency)) {
		return
	}

	rf := s.faultsFor(template, node)
	if e, stop := s.authenticate(r, rf); stop {
		if e.status != 0 {
			s.writeError(w, e)
		}
		return
	}
	if node != "" {
		if !knownNode {
			s.writeError(w, apiError{status: http.StatusInternalServerError,
				msg: fmt.Sprintf("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", node, node)})
			return
		}
		if rf.offline[ni] {
			s.writeError(w, apiError{status: 595, msg: "No route to host"})
			return
		}
	}
	if rf.hang && finish(s.wait(ctx, rf.release)) {
		return
	}
	if rf.fail != nil {
		s.writeError(w, apiError{status: rf.fail.status, msg: rf.fail.message})
		return
	}
	body, e, stop := s.answer(r, rf, template, ni, node, vmid)
	switch {
	case stop:
		return
	case e.status != 0:
		s.writeError(w, e)
	case rf.malform:
		writeJSON(w, truncate(body)...)
	case rf.odd:
		writeJSON(w, oddValues(body))
	default:
		writeJSON(w, body...)
	}
}

// authenticate checks the API token. stop with a zero status means the
// client went away during the penalty delay.
func (s *Simulator) authenticate(r *http.Request, rf requestFaults) (apiError, bool) {
	value, present := tokenValue(r)
	if !present {
		return apiError{status: http.StatusUnauthorized, msg: "No ticket"}, true
	}
	// pve-access-control splits at the LAST '=': token ids contain none,
	// but the user@realm!name part may be followed by any secret
	i := strings.LastIndexByte(value, '=')
	if i > 0 {
		id, secret := value[:i], value[i+1:]
		if subtle.ConstantTimeCompare([]byte(id), []byte(rf.tokenID)) == 1 &&
			subtle.ConstantTimeCompare([]byte(secret), []byte(rf.tokenSec)) == 1 {
			return apiError{}, false
		}
	}
	if finish(s.sleep(r.Context(), s.cfg.AuthFailDelay)) {
		return apiError{}, true
	}
	msg := "Authentication failed!"
	if s.cfg.ErrorStyle == PVE7 {
		msg = "authentication failure"
	}
	return apiError{status: http.StatusUnauthorized, msg: msg}, true
}

// tokenValue extracts the PVEAPIToken value like pve-http-server:
// (?:^|\s)PVEAPIToken(?:=| )([^;]*), URI-unescaped. A ticket cookie counts
// as credentials (always wrong here) so that it is not "No ticket".
func tokenValue(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	for i := 0; i < len(h); {
		j := strings.Index(h[i:], "PVEAPIToken")
		if j < 0 {
			break
		}
		start := i + j
		end := start + len("PVEAPIToken")
		if (start == 0 || h[start-1] == ' ' || h[start-1] == '\t') && end < len(h) && (h[end] == '=' || h[end] == ' ') {
			v := h[end+1:]
			if k := strings.IndexByte(v, ';'); k >= 0 {
				v = v[:k]
			}
			if u, err := url.PathUnescape(v); err == nil {
				v = u
			}
			return v, true
		}
		i = end
	}
	if strings.Contains(h, "PVEAuthCookie") {
		return "", true
	}
	if _, err := r.Cookie("PVEAuthCookie"); err == nil {
		return "", true
	}
	return "", false
}

func paramError(name, msg string) apiError {
	return apiError{status: http.StatusBadRequest, msg: "Parameter verification failed.", params: map[string]string{name: msg}}
}

// answer produces the 200 body (in parts) or the error of one matched
// request. stop means the client went away while waiting.
func (s *Simulator) answer(r *http.Request, rf requestFaults, template string, ni int, node, vmid string) ([][]byte, apiError, bool) {
	body, e, stop := s.answerOne(r, rf, template, ni, node, vmid)
	if body == nil && template == PathClusterResources && e.status == 0 && !stop {
		return s.clusterResources(r.URL.Query().Get("type"), rf.offline), e, false
	}
	return [][]byte{body}, e, stop
}

func (s *Simulator) answerOne(r *http.Request, rf requestFaults, template string, ni int, node, vmid string) ([]byte, apiError, bool) {
	noACL := rf.perms == PrivSepNoACL
	if noACL && node != "" {
		return nil, apiError{status: http.StatusForbidden, msg: fmt.Sprintf("Permission check failed (/nodes/%s, Sys.Audit)", node)}, false
	}
	switch template {
	case PathVersion:
		return s.version, apiError{}, false
	case PathClusterResources:
		filter := r.URL.Query().Get("type")
		switch filter {
		case "", "vm", "node", "storage", "sdn":
		default:
			return nil, paramError("type", fmt.Sprintf("value '%s' does not have a value in the enumeration 'vm, storage, node, sdn'", filter)), false
		}
		if noACL {
			return []byte(`{"data":[]}`), apiError{}, false
		}
		return nil, apiError{}, false // assembled in parts by answer
	case PathClusterStatus:
		if noACL {
			return nil, apiError{status: http.StatusForbidden, msg: "Permission check failed (/, Sys.Audit)"}, false
		}
		return s.clusterStatus(rf.offline), apiError{}, false
	case PathNodes:
		if noACL {
			return []byte(`{"data":[]}`), apiError{}, false
		}
		return s.nodesList(rf.offline), apiError{}, false
	case PathPermissions:
		return s.permBodies[rf.perms], apiError{}, false
	case PathNodeStatus:
		return s.nodes[ni].status, apiError{}, false
	case PathNodeStorage:
		return s.nodes[ni].storage, apiError{}, false
	case PathNodeDisks:
		return s.nodes[ni].disks, apiError{}, false
	case PathNodeZFS:
		if s.nodes[ni].zfs == nil {
			return nil, apiError{status: http.StatusInternalServerError, msg: noZFSMessage}, false
		}
		return s.nodes[ni].zfs, apiError{}, false
	case PathQemuList:
		return s.nodes[ni].qemuList, apiError{}, false
	case PathLXCList:
		return s.nodes[ni].lxcList, apiError{}, false
	}
	return s.answerGuest(r, rf, template, ni, node, vmid)
}

func (s *Simulator) answerGuest(r *http.Request, rf requestFaults, template string, ni int, node, vmid string) ([]byte, apiError, bool) {
	id, err := strconv.Atoi(vmid)
	if err != nil || id < 1 {
		return nil, paramError("vmid", fmt.Sprintf("type check ('integer') failed - got '%s'", vmid)), false
	}
	typ, confDir := "qemu", "qemu-server"
	if strings.HasPrefix(template, "/nodes/{node}/lxc/") {
		typ, confDir = "lxc", "lxc"
	}
	gi, ok := s.guests[id]
	if !ok || s.cluster.Guests[gi].Node != node || s.cluster.Guests[gi].Type != typ {
		return nil, apiError{status: http.StatusInternalServerError,
			msg: fmt.Sprintf("Configuration file 'nodes/%s/%s/%d.conf' does not exist", node, confDir, id)}, false
	}
	g := &s.cluster.Guests[gi]
	switch template {
	case PathQemuConfig:
		return renderQemuConfig(g), apiError{}, false
	case PathLXCConfig:
		return renderLXCConfig(g), apiError{}, false
	case PathQemuStatus:
		return renderQemuStatus(g), apiError{}, false
	case PathLXCStatus:
		return renderLXCStatus(g), apiError{}, false
	case PathLXCInterfaces:
		if g.Status != "running" {
			return []byte(`{"data":null}`), apiError{}, false
		}
		return renderLXCInterfaces(g, s.cluster.Nodes[ni].Legacy), apiError{}, false
	case PathQemuAgentNet:
		return s.answerAgent(r, rf, g)
	}
	return nil, apiError{status: http.StatusNotImplemented, msg: fmt.Sprintf("Method 'GET %s' not implemented", r.URL.Path)}, false
}

func (s *Simulator) answerAgent(r *http.Request, rf requestFaults, g *Guest) ([]byte, apiError, bool) {
	if rf.perms == AuditorPVE8 {
		return nil, apiError{status: http.StatusForbidden, msg: fmt.Sprintf("Permission check failed (/vms/%d, VM.Monitor)", g.VMID)}, false
	}
	if g.Status != "running" {
		return nil, apiError{status: http.StatusInternalServerError, msg: fmt.Sprintf("VM %d is not running", g.VMID)}, false
	}
	switch g.Agent {
	case AgentRunning:
		return renderAgentInterfaces(g), apiError{}, false
	case AgentUnsupported:
		return agentUnsupportedBody, apiError{}, false
	case AgentNotRunning:
		if finish(s.sleep(r.Context(), s.cfg.AgentDelay)) {
			return nil, apiError{}, true
		}
		return nil, apiError{status: http.StatusInternalServerError, msg: "QEMU guest agent is not running"}, false
	}
	return nil, apiError{status: http.StatusInternalServerError, msg: "No QEMU guest agent configured"}, false
}
