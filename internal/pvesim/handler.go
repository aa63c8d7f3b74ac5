// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	if ok && (!s.cfg.Operations && isOperationsTemplate(template) ||
		!s.cfg.GuestAgentDetails && isAgentDetailsTemplate(template)) {
		ok = false // not served: answered like any unknown path
	}
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
	abortUnlessDone(s.acquire(ctx, slot))
	defer s.release(slot)
	abortUnlessDone(s.sleep(ctx, s.cfg.Latency))

	rf := s.faultsFor(template, node)
	if e, refused := s.authenticate(r, rf); refused {
		s.writeError(w, e)
		return
	}
	if lacksLXCInterfaces(rf.version) && template == PathLXCInterfaces ||
		s.cfg.SDNAbsent && isSDNTemplate(template) {
		// PVE 7.4 and 8.0 have no such method (see lacksLXCInterfaces),
		// and without libpve-network-perl no /cluster/sdn method is
		// registered (see Config.SDNAbsent): find_handler finds nothing
		// and rest_handler answers its default 501 with the path as
		// requested, before any permission check or proxying
		// (pve-manager PVE/HTTPServer.pm rest_handler, branches stable-7
		// and stable-8)
		s.writeError(w, apiError{status: http.StatusNotImplemented, msg: fmt.Sprintf("Method 'GET %s' not implemented", rel)})
		return
	}
	if e, denied := forbidden(rf, template, node, vmid); denied {
		s.writeError(w, e)
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
	if rf.hang {
		abortUnlessDone(s.wait(ctx, rf.release))
	}
	if rf.fail != nil {
		s.writeError(w, apiError{status: rf.fail.status, msg: rf.fail.message})
		return
	}
	body, e := s.answer(r, rf, template, ni, node, vmid)
	switch {
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

// authenticate checks the API token and reports whether it is refused, with
// the answer to send.
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
	abortUnlessDone(s.sleep(r.Context(), s.cfg.AuthFailDelay))
	msg := "Authentication failed!"
	if s.errorStyle() == PVE7 {
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

func permError(path, privs string) apiError {
	// raise_perm_exc (pve-common src/PVE/Exception.pm)
	return apiError{status: http.StatusForbidden, msg: fmt.Sprintf("Permission check failed (%s, %s)", path, privs)}
}

// forbidden returns the 403 the token's permissions earn for a request.
// pveproxy checks a method's permissions before it proxies the request to
// {node} or runs the handler (pve-manager PVE/HTTPServer.pm rest_handler:
// check_api2_permissions, then proxyto), so this comes before offline nodes,
// unknown nodes and unknown guests. PrivSepEmptyLists keeps its old checks
// in answerOne.
func forbidden(rf requestFaults, template, node, vmid string) (apiError, bool) {
	switch rf.perms {
	case AuditorPVE8:
		if isAgentTemplate(template) {
			// PVE <= 8 guards every agent command with VM.Monitor
			// (qemu-server branch stable-bookworm, src/PVE/API2/Qemu/Agent.pm
			// register_command)
			return permError("/vms/"+vmid, "VM.Monitor"), true
		}
	case PrivSepNoACL:
		return privSepNoACLForbidden(template, node, vmid, rf.version)
	case AuditorNoSDN:
		if template == PathClusterSDN {
			return sdnIndexForbidden(rf.version), true
		}
	}
	return apiError{}, false
}

// sdnIndexForbidden is the 403 of GET /cluster/sdn without SDN.Audit:
// ['perm', '/sdn', ['SDN.Audit']] since pve-network 0.8.2 (PVE 8.1, commit
// d7c1620 "fix permissions && use new /sdn/zones/<zone>/<vnet> path"),
// ['perm', '/', ['SDN.Audit']] before, so on PVE 7.4 and 8.0 (0.8.1)
// (src/PVE/API2/Network/SDN.pm index).
func sdnIndexForbidden(version string) apiError {
	if versionBefore(version, Version84) {
		return permError("/", "SDN.Audit")
	}
	return permError("/sdn", "SDN.Audit")
}

// privSepNoACLForbidden is the 403 of a privilege-separated token without
// ACL: its privileges are those of its own ACL entries
// (pve-access-control src/PVE/RPCEnvironment.pm permissions), so every
// permission check fails. Paths open to every user ("user => 'all'") filter
// their lists instead and are answered in answerOne.
func privSepNoACLForbidden(template, node, vmid, version string) (apiError, bool) {
	switch template {
	case PathClusterStatus:
		// pve-manager PVE/API2/Cluster.pm status: ['perm', '/', ['Sys.Audit']]
		return permError("/", "Sys.Audit"), true
	case PathNodeStatus:
		// pve-manager PVE/API2/Nodes.pm status: ['perm', '/nodes/{node}', ['Sys.Audit']]
		return permError("/nodes/"+node, "Sys.Audit"), true
	case PathNodeZFS:
		// pve-storage src/PVE/API2/Disks/ZFS.pm index: ['perm', '/', ['Sys.Audit']]
		return permError("/", "Sys.Audit"), true
	case PathNodeDisks:
		// pve-storage src/PVE/API2/Disks.pm list: ['or', ['perm', '/', ...],
		// ['perm', '/nodes/{node}', ...]]; a failed 'or' raises
		// raise_perm_exc() without path or privilege
		// (pve-access-control src/PVE/RPCEnvironment.pm exec_api2_perm_check)
		return apiError{status: http.StatusForbidden, msg: "Permission check failed"}, true
	case PathQemuConfig, PathQemuStatus:
		// qemu-server src/PVE/API2/Qemu.pm vm_config, vm_status:
		// ['perm', '/vms/{vmid}', ['VM.Audit']]
		return permError("/vms/"+vmid, "VM.Audit"), true
	case PathLXCConfig, PathLXCStatus, PathLXCInterfaces:
		// pve-container src/PVE/API2/LXC/Config.pm vm_config,
		// src/PVE/API2/LXC/Status.pm vm_status, src/PVE/API2/LXC.pm ip:
		// ['perm', '/vms/{vmid}', ['VM.Audit']]
		return permError("/vms/"+vmid, "VM.Audit"), true
	case PathNodeNetstat:
		// pve-manager PVE/API2/Nodes.pm netstat: ['perm', '/nodes/{node}', ['Sys.Audit']]
		return permError("/nodes/"+node, "Sys.Audit"), true
	case PathClusterSDN:
		return sdnIndexForbidden(version), true
	case PathNotBackedUp, PathHAStatus:
		// pve-manager PVE/API2/Cluster/BackupInfo.pm
		// get_guests_not_in_backup, pve-ha-manager
		// src/PVE/API2/HA/Status.pm status: ['perm', '/', ['Sys.Audit']]
		return permError("/", "Sys.Audit"), true
	case PathCephStatus:
		// pve-manager PVE/API2/Cluster/Ceph.pm status: ['perm', '/',
		// ['Sys.Audit', 'Datastore.Audit'], any => 1]
		return permError("/", "Sys.Audit|Datastore.Audit"), true
	case PathQemuAgentNet, PathQemuAgentFSInfo, PathQemuAgentOSInfo, PathQemuAgentHostName:
		// VM.Monitor up to 8.4, VM.GuestAgent.Audit|... on 9 for each of
		// them (see agentPrivilege)
		return permError("/vms/"+vmid, agentPrivilege(version)), true
	}
	return apiError{}, false
}

func paramError(name, msg string) apiError {
	return apiError{status: http.StatusBadRequest, msg: "Parameter verification failed.", params: map[string]string{name: msg}}
}

// answer produces the 200 body (in parts) or the error of one matched
// request.
func (s *Simulator) answer(r *http.Request, rf requestFaults, template string, ni int, node, vmid string) ([][]byte, apiError) {
	body, e := s.answerOne(r, rf, template, ni, node, vmid)
	if body == nil && template == PathClusterResources && e.status == 0 {
		return s.clusterResources(r.URL.Query().Get("type"), rf.offline, rf.perms), e
	}
	return [][]byte{body}, e
}

func (s *Simulator) answerOne(r *http.Request, rf requestFaults, template string, ni int, node, vmid string) ([]byte, apiError) {
	// the project's old claim, kept as it was
	emptyLists := rf.perms == PrivSepEmptyLists
	if emptyLists && node != "" {
		return nil, permError("/nodes/"+node, "Sys.Audit")
	}
	// lists open to every user filter what the token may see; without ACL
	// that is nothing (pve-storage src/PVE/API2/Storage/Status.pm index:
	// Datastore.Audit per storage; qemu-server src/PVE/API2/Qemu.pm and
	// pve-container src/PVE/API2/LXC.pm vmlist: VM.Audit per guest)
	noACL := rf.perms == PrivSepNoACL
	switch template {
	case PathVersion:
		return s.versions[rf.version], apiError{}
	case PathClusterResources:
		filter := r.URL.Query().Get("type")
		switch filter {
		case "", "vm", "node", "storage", "sdn":
		default:
			return nil, paramError("type", fmt.Sprintf("value '%s' does not have a value in the enumeration 'vm, storage, node, sdn'", filter))
		}
		if emptyLists {
			return []byte(`{"data":[]}`), apiError{}
		}
		return nil, apiError{} // assembled in parts by answer
	case PathClusterStatus:
		if emptyLists {
			return nil, permError("/", "Sys.Audit")
		}
		return s.clusterStatus(rf.offline), apiError{}
	case PathNodes:
		if emptyLists {
			return []byte(`{"data":[]}`), apiError{}
		}
		return s.nodesList(rf.offline, noACL), apiError{}
	case PathPermissions:
		return s.permBodies[rf.perms], apiError{}
	case PathNodeStatus:
		return s.nodes[ni].status, apiError{}
	case PathNodeStorage:
		if noACL {
			return emptyList, apiError{}
		}
		return s.nodes[ni].storage, apiError{}
	case PathNodeDisks:
		return s.nodes[ni].disks, apiError{}
	case PathNodeZFS:
		if s.nodes[ni].zfs == nil {
			return nil, apiError{status: http.StatusInternalServerError, msg: noZFSMessage}
		}
		return s.nodes[ni].zfs, apiError{}
	case PathQemuList:
		if noACL {
			return emptyList, apiError{}
		}
		if s.cfg.GuestAgentDetails {
			return s.answerQemuList(r, ni)
		}
		return s.nodes[ni].qemuList, apiError{}
	case PathLXCList:
		if noACL {
			return emptyList, apiError{}
		}
		return s.nodes[ni].lxcList, apiError{}
	case PathNodeNetstat:
		return s.nodes[ni].netstat, apiError{}
	case PathClusterSDN:
		if emptyLists {
			return nil, sdnIndexForbidden(rf.version)
		}
		return s.sdn[rf.version].index, apiError{}
	case PathSDNVNets, PathSDNZones:
		return s.answerSDNList(r, rf, template)
	}
	if isOperationsTemplate(template) {
		return s.answerOps(r, rf, template, ni, node, vmid)
	}
	return s.answerGuest(r, template, ni, node, vmid)
}

func (s *Simulator) answerGuest(r *http.Request, template string, ni int, node, vmid string) ([]byte, apiError) {
	id, err := strconv.Atoi(vmid)
	if err != nil || id < 1 {
		return nil, paramError("vmid", fmt.Sprintf("type check ('integer') failed - got '%s'", vmid))
	}
	typ, confDir := "qemu", "qemu-server"
	if strings.HasPrefix(template, "/nodes/{node}/lxc/") {
		typ, confDir = "lxc", "lxc"
	}
	gi, ok := s.guests[id]
	if !ok || s.cluster.Guests[gi].Node != node || s.cluster.Guests[gi].Type != typ {
		return nil, apiError{status: http.StatusInternalServerError,
			msg: fmt.Sprintf("Configuration file 'nodes/%s/%s/%d.conf' does not exist", node, confDir, id)}
	}
	g := &s.cluster.Guests[gi]
	if template == PathQemuAgentNet {
		return s.answerAgent(r, g) // locks only to render: it may sleep
	}
	if isAgentDetailsTemplate(template) {
		return s.answerAgentCommand(r, g, agentCommand(template)) // the same
	}
	s.guestMu.RLock() // SetGuestIPs may change the NIC addresses
	defer s.guestMu.RUnlock()
	switch template {
	case PathQemuConfig:
		return renderQemuConfig(g), apiError{}
	case PathLXCConfig:
		return renderLXCConfig(g), apiError{}
	case PathQemuStatus:
		if s.cfg.GuestAgentDetails {
			return renderQemuStatusDetails(g, s.clock().Unix()), apiError{}
		}
		return renderQemuStatus(g), apiError{}
	case PathLXCStatus:
		return renderLXCStatus(g), apiError{}
	case PathLXCInterfaces:
		if g.Status != "running" || s.cfg.LXCInterfacesUnproxied && ni != 0 {
			// get_interfaces finds no container process on the node that
			// runs the request (see Config.LXCInterfacesUnproxied).
			return []byte(`{"data":null}`), apiError{}
		}
		return renderLXCInterfaces(g, s.cluster.Nodes[ni].Legacy || s.cfg.LXCInterfacesUnproxied), apiError{}
	}
	return nil, apiError{status: http.StatusNotImplemented, msg: fmt.Sprintf("Method 'GET %s' not implemented", r.URL.Path)}
}

var emptyList = []byte(`{"data":[]}`)

// answerSDNList answers the vnet and zone lists. Both are open to every user
// and list only the entries on whose ACL path the token has SDN.Audit or
// SDN.Allocate (pve-network src/PVE/API2/Network/SDN/Zones.pm index:
// /sdn/zones/<zone>; Vnets.pm index: /sdn/zones/<zone>/<vnet> since
// pve-network 0.8.2, /sdn/vnets/<vnet> on PVE 7), so a token without
// SDN.Audit gets [] as if there were no SDN. running=1 and pending=1 answer
// the same: the simulated configuration is applied and has no pending
// changes (src/PVE/Network/SDN.pm pending_config adds "state" only to
// changed entries).
func (s *Simulator) answerSDNList(r *http.Request, rf requestFaults, template string) ([]byte, apiError) {
	sdn := s.sdn[rf.version]
	typ := ""
	if template == PathSDNZones {
		typ = r.URL.Query().Get("type")
		if typ != "" && !slices.Contains(sdnZonesTypeEnum, typ) {
			return nil, paramError("type", fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'",
				typ, strings.Join(sdnZonesTypeEnum, ", ")))
		}
	}
	switch rf.perms {
	case PrivSepNoACL, PrivSepEmptyLists, AuditorNoSDN:
		return emptyList, apiError{}
	}
	if template == PathSDNVNets {
		return sdn.vnets, apiError{}
	}
	return sdn.zonesBody(typ), apiError{}
}

// answerAgent answers network-get-interfaces as qemu-server does any agent
// command (see answerAgentCommand).
func (s *Simulator) answerAgent(r *http.Request, g *Guest) ([]byte, apiError) {
	if e := agentAvailable(g); e.status != 0 {
		return nil, e
	}
	switch g.Agent {
	case AgentRunning:
		s.guestMu.RLock()
		defer s.guestMu.RUnlock()
		return renderAgentInterfaces(g), apiError{}
	case AgentUnsupported:
		return agentUnsupportedBody, apiError{}
	case AgentNotRunning:
		abortUnlessDone(s.sleep(r.Context(), s.cfg.AgentDelay))
		return nil, apiError{status: http.StatusInternalServerError, msg: "QEMU guest agent is not running"}
	}
	return nil, apiError{status: http.StatusInternalServerError, msg: "No QEMU guest agent configured"}
}
