// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"sync"
	"time"
)

// Simulator serves one synthetic cluster. All methods are safe for
// concurrent use while serving.
type Simulator struct {
	cfg      Config
	cluster  *Cluster
	nodeIdx  map[string]int
	byNode   [][]int           // guest indexes per node
	guests   map[int]int       // vmid -> index in cluster.Guests
	nodes    []nodeRender      // pre-rendered per node
	versions map[string][]byte // /version body per Config.Version value
	slots    []chan struct{}   // per node worker slots; nil when unlimited

	poolEntry, sdnEntries []byte
	permBodies            map[Permissions][]byte
	sdn                   map[string]sdnRender // per Config.Version value
	ops                   *opsRender           // nil unless Config.Operations

	faults faultState
	stats  statsCounter

	// guestMu guards the guests' NIC addresses, which SetGuestIPs changes
	// while serving (see guestIPState), and their filesystems' used bytes,
	// which SetGuestFilesystemUsed changes (see guestFSState).
	guestMu  sync.RWMutex
	guestIPs guestIPState
	guestFS  guestFSState

	closed    chan struct{}
	closeOnce sync.Once
}

// New fills Config defaults and builds the cluster deterministically from
// cfg.Seed.
//
// New panics if cfg.Version is not a version ParseVersion accepts.
func New(cfg Config) *Simulator {
	cfg = cfg.withDefaults()
	version, err := ParseVersion(cfg.Version)
	if err != nil {
		panic("pvesim.New: " + err.Error())
	}
	cfg.Version = version
	wallClock := false
	if cfg.Operations && cfg.OperationsTime.IsZero() {
		cfg.OperationsTime, wallClock = time.Now().UTC().Truncate(time.Second), true
	}
	s := &Simulator{
		cfg:     cfg,
		cluster: generate(cfg),
		nodeIdx: map[string]int{},
		guests:  map[int]int{},
		closed:  make(chan struct{}),
	}
	s.byNode = make([][]int, len(s.cluster.Nodes))
	for i, n := range s.cluster.Nodes {
		s.nodeIdx[n.Name] = i
	}
	for i, g := range s.cluster.Guests {
		s.guests[g.VMID] = i
		ni := s.nodeIdx[g.Node]
		s.byNode[ni] = append(s.byNode[ni], i)
	}
	if s.cluster.Operations != nil {
		s.ops = s.renderOps(wallClock)
	}
	// every node's Online in the stored truth is its configured state;
	// Cluster() overlays the current one.
	s.nodes = make([]nodeRender, len(s.cluster.Nodes))
	for i := range s.cluster.Nodes {
		s.nodes[i] = s.renderNode(i)
	}
	// /version names the endpoint, the first node
	repoID := s.cluster.Nodes[0].RepoID
	s.versions = map[string][]byte{
		Version9:  renderVersion(currentVersion, repoID),
		Version84: renderVersion(pve84Version, repoID),
		Version80: renderVersion(pve80Version, repoID),
		Version7:  renderVersion7(repoID),
	}
	s.poolEntry, s.sdnEntries = s.poolAndSDN()
	if cfg.SDNAbsent {
		s.sdnEntries = nil // see Config.SDNAbsent
	}
	s.sdn = map[string]sdnRender{}
	for _, v := range Versions() {
		s.sdn[v] = renderSDN(&s.cluster.SDN, v)
	}
	s.permBodies = map[Permissions][]byte{}
	for _, p := range allPermissions {
		s.permBodies[p] = renderPermissions(p)
	}
	if cfg.WorkersPerNode > 0 {
		s.slots = make([]chan struct{}, len(s.cluster.Nodes))
		for i := range s.slots {
			s.slots[i] = make(chan struct{}, cfg.WorkersPerNode)
		}
	}
	s.faults.reset(cfg, len(s.cluster.Nodes))
	return s
}

// Config returns the effective configuration (defaults filled in).
func (s *Simulator) Config() Config { return s.cfg }

// Cluster returns a copy of the ground truth, with each node's current
// online state.
func (s *Simulator) Cluster() *Cluster {
	s.guestMu.RLock()
	c := s.cluster.clone()
	s.guestMu.RUnlock()
	for i, off := range s.offlineSnapshot() {
		c.Nodes[i].Online = !off
	}
	now := s.clock().Unix()
	for i := range c.Guests {
		if b := c.Guests[i].Balloon; b != nil {
			b.LastUpdate = now - b.StatsAge
		}
	}
	return c
}

// clock is the simulator's time for values that follow it (the balloon
// statistics' last_update): Config.OperationsTime when set, else now.
func (s *Simulator) clock() time.Time {
	if !s.cfg.OperationsTime.IsZero() {
		return s.cfg.OperationsTime
	}
	return time.Now()
}

// Stats returns a copy of the request counters.
func (s *Simulator) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the request counters.
func (s *Simulator) ResetStats() { s.stats.reset() }

// Close aborts hung requests and makes new hangs and worker-slot waits
// return at once. Call it before closing the HTTP server (an
// httptest.Server's Close waits for outstanding requests), e.g. register it
// with http.Server.RegisterOnShutdown or a later t.Cleanup.
func (s *Simulator) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}
