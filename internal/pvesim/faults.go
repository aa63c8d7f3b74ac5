// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import "sync"

type failure struct {
	status  int
	message string
}

// faultState is everything that can change while serving. One RWMutex
// guards it; requests take a snapshot of what they need.
type faultState struct {
	mu           sync.RWMutex
	offline      []bool
	hangNodes    map[string]bool
	hangPaths    map[string]bool
	failPaths    map[string]failure
	malformPaths map[string]bool
	oddPaths     map[string]bool
	perms        Permissions
	version      string
	tokenID      string
	tokenSecret  string
	// release is closed (and replaced) to let hung requests continue when
	// hangs are cleared.
	release chan struct{}
}

func (f *faultState) reset(cfg Config, nodes int) {
	f.offline = make([]bool, nodes)
	for i := nodes - cfg.OfflineNodes; i < nodes; i++ {
		f.offline[i] = true
	}
	f.hangNodes = map[string]bool{}
	f.hangPaths = map[string]bool{}
	f.failPaths = map[string]failure{}
	f.malformPaths = map[string]bool{}
	f.oddPaths = map[string]bool{}
	f.perms = cfg.Permissions
	f.version = cfg.Version
	f.tokenID, f.tokenSecret = cfg.TokenID, cfg.TokenSecret
	f.releaseHangs()
}

func (f *faultState) releaseHangs() {
	if f.release != nil {
		close(f.release)
	}
	f.release = make(chan struct{})
}

// SetNodeOffline takes a node offline (595 on /nodes/{node}/..., offline in
// the cluster views) or back online. Unknown node names are ignored.
func (s *Simulator) SetNodeOffline(node string, offline bool) {
	i, ok := s.nodeIdx[node]
	if !ok {
		return
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.offline[i] = offline
}

// FailPath makes every request matching template answer status with
// message (as the error text). An empty template clears all failing paths;
// status 0 clears that template.
func (s *Simulator) FailPath(template string, status int, message string) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	switch {
	case template == "":
		clear(s.faults.failPaths)
	case status == 0:
		delete(s.faults.failPaths, template)
	default:
		s.faults.failPaths[template] = failure{status: status, message: message}
	}
}

// toggle adds key to a fault set, or empties the set when key is empty
// (then releasing hung requests if release is set).
// The set is picked under the lock: ClearFaults replaces the maps.
func (f *faultState) toggle(pick func(*faultState) map[string]bool, key string, release bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	set := pick(f)
	if key == "" {
		clear(set)
		if release {
			f.releaseHangs()
		}
		return
	}
	set[key] = true
}

// HangPath makes requests matching template block until the client goes
// away, the hang is cleared (they then continue normally) or Close is
// called (the connection is then aborted). An empty template clears.
func (s *Simulator) HangPath(template string) {
	s.faults.toggle(func(f *faultState) map[string]bool { return f.hangPaths }, template, true)
}

// HangNode makes all /nodes/{node}/... requests hang like HangPath. An
// empty node clears.
func (s *Simulator) HangNode(node string) {
	s.faults.toggle(func(f *faultState) map[string]bool { return f.hangNodes }, node, true)
}

// MalformPath makes requests matching template answer 200 with truncated
// JSON. An empty template clears.
func (s *Simulator) MalformPath(template string) {
	s.faults.toggle(func(f *faultState) map[string]bool { return f.malformPaths }, template, false)
}

// OddValuesPath makes requests matching template answer 200 with valid JSON
// whose values have the wrong kinds: a list gets a number, a null and a
// string in front of its entries, and every nested object or list inside an
// entry becomes a number or null. An empty template clears.
func (s *Simulator) OddValuesPath(template string) {
	s.faults.toggle(func(f *faultState) map[string]bool { return f.oddPaths }, template, false)
}

// SetPermissions changes the ACL of the token.
func (s *Simulator) SetPermissions(p Permissions) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.perms = p
}

// SetVersion switches the Proxmox VE version the cluster answers as (see
// Config.Version); ClearFaults goes back to the configured one.
func (s *Simulator) SetVersion(v string) error {
	v, err := ParseVersion(v)
	if err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.version = v
	return nil
}

// Version returns the Proxmox VE version the cluster answers as now:
// Version9, Version84, Version80 or Version7.
func (s *Simulator) Version() string {
	s.faults.mu.RLock()
	defer s.faults.mu.RUnlock()
	return s.faults.version
}

// errorStyle is the error format in use: PVE 7.4 and 8.0 know only PVE7
// (see versionErrorStyle).
func (s *Simulator) errorStyle() ErrorStyle {
	return versionErrorStyle(s.Version(), s.cfg.ErrorStyle)
}

// SetToken changes the accepted API token.
func (s *Simulator) SetToken(id, secret string) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.tokenID, s.faults.tokenSecret = id, secret
}

// ClearFaults restores the state New started with: configured offline
// nodes, permissions, version and token; no hangs (hung requests continue),
// failing or malformed paths; the guest addresses New generated (undoing
// SetGuestIPs) and the filesystems' used bytes (undoing
// SetGuestFilesystemUsed).
func (s *Simulator) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.reset(s.cfg, len(s.cluster.Nodes))
	s.faults.mu.Unlock()
	s.restoreGuestIPs()
	s.restoreGuestFilesystems()
}

// requestFaults is the fault state one request sees.
type requestFaults struct {
	offline  []bool
	hang     bool
	release  chan struct{}
	fail     *failure
	malform  bool
	odd      bool
	perms    Permissions
	version  string
	tokenID  string
	tokenSec string
}

func (s *Simulator) faultsFor(template, node string) requestFaults {
	s.faults.mu.RLock()
	defer s.faults.mu.RUnlock()
	rf := requestFaults{
		offline:  append([]bool(nil), s.faults.offline...),
		hang:     s.faults.hangPaths[template] || (node != "" && s.faults.hangNodes[node]),
		release:  s.faults.release,
		malform:  s.faults.malformPaths[template],
		odd:      s.faults.oddPaths[template],
		perms:    s.faults.perms,
		version:  s.faults.version,
		tokenID:  s.faults.tokenID,
		tokenSec: s.faults.tokenSecret,
	}
	if f, ok := s.faults.failPaths[template]; ok {
		rf.fail = &f
	}
	return rf
}

func (s *Simulator) offlineSnapshot() []bool {
	s.faults.mu.RLock()
	defer s.faults.mu.RUnlock()
	return append([]bool(nil), s.faults.offline...)
}
