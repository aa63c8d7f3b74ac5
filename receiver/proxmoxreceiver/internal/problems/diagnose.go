// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"

import (
	"context"
	"fmt"
	"strings"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// The diagnoses that ask Proxmox why an answer looks the way it does: an
// empty cluster, and a token whose privilege separation leaves it nothing.

// HasNodes reports whether /cluster/resources listed any node: real Proxmox
// always does (see PrivilegeSeparation); without, DiagnoseEmptyCluster says why.
func HasNodes(resources []pveapi.ClusterResource) bool {
	for i := range resources {
		if resources[i].Type == "node" {
			return true
		}
	}
	return false
}

// DiagnoseEmptyCluster explains a /cluster/resources answer without nodes.
// Real Proxmox always lists the nodes (see PrivilegeSeparation), but a token
// without rights that sees an empty cluster must still get an error with the
// fix, never "0 nodes".
func DiagnoseEmptyCluster(ctx context.Context, client pveapi.Client, tokenID string) Problem {
	perms, err := client.AccessPermissions(ctx)
	if err == nil && len(perms) == 0 {
		return privilegeSeparationProblem(tokenID, "sees no nodes")
	}
	fix := fmt.Sprintf("pveum acl modify / --tokens '%s' --roles PVEAuditor", tokenID)
	return Problem{Kind: KindForbidden, Path: pveapi.PathClusterResources, Privilege: "Sys.Audit",
		Err: fmt.Errorf("the API token %s sees no nodes in /cluster/resources: it lacks Sys.Audit and VM.Audit; grant read-only access with: %s", tokenID, fix)}
}

// PrivilegeSeparation recognises a token with privilege separation and no
// ACL of its own from what Proxmox answers it: /cluster/resources lists every
// node but without its statistics (pve-manager PVE/API2/Cluster.pm resources
// and PVE/API2Tools.pm extract_node_stats leave them out without Sys.Audit),
// and the node paths answer 403. It asks /access/permissions, which any
// token may read and which is {} for such a token, only then. It returns the
// one problem that replaces the many 403s, or false.
func PrivilegeSeparation(ctx context.Context, client pveapi.Client, tokenID string, resources []pveapi.ClusterResource, found Set) (Problem, bool) {
	forbidden := false
	for _, pr := range found {
		forbidden = forbidden || pr.Kind == KindForbidden
	}
	if !forbidden || !nodesWithoutStats(resources) {
		return Problem{}, false
	}
	if perms, err := client.AccessPermissions(ctx); err != nil || len(perms) > 0 {
		return Problem{}, false
	}
	return privilegeSeparationProblem(tokenID, "may read nothing"), true
}

func nodesWithoutStats(resources []pveapi.ClusterResource) bool {
	nodes := 0
	for i := range resources {
		if r := &resources[i]; r.Type == "node" {
			if r.MaxMem.Valid || r.MaxCPU.Valid || r.Uptime.Valid {
				return false
			}
			nodes++
		}
	}
	return nodes > 0
}

func privilegeSeparationProblem(tokenID, what string) Problem {
	user, _, _ := strings.Cut(tokenID, "!")
	fix := fmt.Sprintf("pveum acl modify / --tokens '%s' --roles PVEAuditor", tokenID)
	return Problem{Kind: KindPrivilegeSeparation, Err: fmt.Errorf("the API token %s %s: it has privilege separation and no ACL of its own (/access/permissions is empty). Either grant the token itself read access: %s, or recreate it without privilege separation so it inherits the rights of %s: pveum user token add %s %s --privsep 0",
		tokenID, what, fix, user, user, tokenName(tokenID))}
}

func tokenName(tokenID string) string {
	_, name, _ := strings.Cut(tokenID, "!")
	return name
}
