// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"fmt"
	"strings"
)

// GuestFSUsedRequest is the guest_fs_used member of a FaultRequest: the
// used bytes SetGuestFilesystemUsed gives one filesystem of one guest.
type GuestFSUsedRequest struct {
	VMID       int    `json:"vmid"`
	Mountpoint string `json:"mountpoint"`
	UsedBytes  int64  `json:"used_bytes"`
}

// fsRef names one get-fsinfo entry of one guest.
type fsRef struct {
	vmid, index int
}

// guestFSState holds what SetGuestFilesystemUsed changed, under guestMu
// like the NIC addresses: writers put fresh values in place, never change
// a value a pointer points to.
type guestFSState struct {
	orig map[fsRef]*int64 // used bytes New generated, of every changed entry
}

// checkGuestFilesystemUsed validates a change of a filesystem's used bytes
// and returns the guest index and the entry's device name and total.
func (s *Simulator) checkGuestFilesystemUsed(vmid int, mountpoint string, used int64) (gi int, name string, total int64, err error) {
	gi, ok := s.guests[vmid]
	if !ok {
		return 0, "", 0, fmt.Errorf("unknown guest %d", vmid)
	}
	s.guestMu.RLock()
	defer s.guestMu.RUnlock()
	g := &s.cluster.Guests[gi]
	if len(g.Filesystems) == 0 {
		return 0, "", 0, fmt.Errorf("guest %d reports no filesystems (see Config.GuestAgentDetails)", vmid)
	}
	var mounts []string
	for i := range g.Filesystems {
		f := &g.Filesystems[i]
		mounts = append(mounts, f.Mountpoint)
		if f.Mountpoint != mountpoint {
			continue
		}
		_, total, ok := f.Used()
		switch {
		case !ok:
			return 0, "", 0, fmt.Errorf("guest %d: the agent reports no byte counts for %s", vmid, mountpoint)
		case used < 0 || used > total:
			return 0, "", 0, fmt.Errorf("guest %d %s: used bytes %d outside 0 to %d (total bytes)", vmid, mountpoint, used, total)
		}
		return gi, f.Name, total, nil
	}
	return 0, "", 0, fmt.Errorf("guest %d has no filesystem mounted at %q: use one of %s", vmid, mountpoint, strings.Join(mounts, ", "))
}

// SetGuestFilesystemUsed changes the used bytes guest vmid's agent reports
// in get-fsinfo for the filesystem mounted at mountpoint ("/", `C:\`),
// and for every other mountpoint of the same device with the same size
// (bind mounts show the same statvfs numbers), as when the guest fills its
// disk: tests drive a filesystem above a threshold with it. The change
// shows in Cluster. ClearFaults restores the generated values. An unknown
// guest or mountpoint, a filesystem without byte counts (an old agent, a
// Windows volume without drive letter) or a value below 0 or above the
// total bytes is an error, and nothing changes.
func (s *Simulator) SetGuestFilesystemUsed(vmid int, mountpoint string, used int64) error {
	gi, name, total, err := s.checkGuestFilesystemUsed(vmid, mountpoint, used)
	if err != nil {
		return err
	}
	s.setGuestFilesystemUsed(gi, name, total, used)
	return nil
}

// setGuestFilesystemUsed applies a checked change.
func (s *Simulator) setGuestFilesystemUsed(gi int, name string, total, used int64) {
	s.guestMu.Lock()
	defer s.guestMu.Unlock()
	g := &s.cluster.Guests[gi]
	if s.guestFS.orig == nil {
		s.guestFS.orig = map[fsRef]*int64{}
	}
	for i := range g.Filesystems {
		f := &g.Filesystems[i]
		if _, t, ok := f.Used(); ok && f.Name == name && t == total {
			ref := fsRef{g.VMID, i}
			if _, saved := s.guestFS.orig[ref]; !saved {
				s.guestFS.orig[ref] = f.UsedBytes
			}
		}
	}
	setFilesystemUsed(g, name, total, used)
}

// restoreGuestFilesystems undoes every SetGuestFilesystemUsed.
func (s *Simulator) restoreGuestFilesystems() {
	s.guestMu.Lock()
	defer s.guestMu.Unlock()
	for ref, used := range s.guestFS.orig {
		s.cluster.Guests[s.guests[ref.vmid]].Filesystems[ref.index].UsedBytes = used
	}
	s.guestFS.orig = nil
}
