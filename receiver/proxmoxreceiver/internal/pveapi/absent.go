// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
)

// What Proxmox VE answers, on every version in use (7.4 to 9.x), when a
// feature is not there on the node that answers, as opposed to a failure.
var (
	// An API method this node does not have: a package that registers it is
	// not installed (libpve-network-perl for /cluster/sdn on 7.4 and 8.0,
	// pve-manager PVE/API2/Cluster.pm registers the sdn subclass only when
	// PVE::API2::Network::SDN loads) or the version predates it
	// (/lxc/{vmid}/interfaces before pve-container 5.0.6, PVE 8.1). Text
	// of pve-manager PVE/HTTPServer.pm rest_handler when find_handler finds
	// nothing. libpve-http-server-perl before 5.2.0 also answered 501 for
	// internal errors, with their own text: those stay problems.
	methodNotImplemented = regexp.MustCompile(`^Method 'GET [^']*' not implemented`)
	// Ceph not installed (pve-manager PVE/Ceph/Tools.pm check_ceph_installed)
	// or never set up with pveceph init (check_ceph_inited; since 8.2 with
	// " - missing '/etc/pve/ceph.conf'..."). "rados_connect failed" is a
	// configured Ceph that does not answer: a problem.
	cephNotInstalled   = regexp.MustCompile(`^binary not installed: /usr/bin/ceph`)
	cephNotInitialized = regexp.MustCompile(`^pveceph configuration not initialized`)
)

// IsAbsent reports whether err is pveproxy itself saying the feature a path
// belongs to is absent: a method this node does not have (501), Ceph not
// installed or not initialised, or no ZFS (see IsNoZFS). An answer from
// something in front of Proxmox is never an absence.
func IsAbsent(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || !ae.fromProxmox {
		return false
	}
	switch ae.Status {
	case http.StatusNotImplemented:
		return methodNotImplemented.MatchString(ae.Message)
	case http.StatusInternalServerError:
		return cephNotInstalled.MatchString(ae.Message) || cephNotInitialized.MatchString(ae.Message) || IsNoZFS(err)
	}
	return false
}

// NotImplemented is pveproxy's answer to GET path on a node that does not
// have that method, for fake clients.
func NotImplemented(path string) *APIError {
	return &APIError{Path: path, Status: http.StatusNotImplemented, Message: fmt.Sprintf("Method 'GET %s' not implemented", path), fromProxmox: true}
}
