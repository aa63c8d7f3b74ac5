// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// What both collections (metrics and inventory) share.

func hasNodes(resources []pveapi.ClusterResource) bool {
	for i := range resources {
		if resources[i].Type == "node" {
			return true
		}
	}
	return false
}

// diagnoseEmptyCluster explains a /cluster/resources answer without nodes.
// Real Proxmox always lists the nodes (see privilegeSeparation), but a token
// without rights that sees an empty cluster must still get an error with the
// fix, never "0 nodes".
func diagnoseEmptyCluster(ctx context.Context, client pveapi.Client, tokenID string) problems.Problem {
	perms, err := client.AccessPermissions(ctx)
	if err == nil && len(perms) == 0 {
		return privilegeSeparationProblem(tokenID, "sees no nodes")
	}
	fix := fmt.Sprintf("pveum acl modify / --tokens '%s' --roles PVEAuditor", tokenID)
	return problems.Problem{Kind: problems.KindForbidden, Path: pveapi.PathClusterResources, Privilege: "Sys.Audit",
		Err: fmt.Errorf("the API token %s sees no nodes in /cluster/resources: it lacks Sys.Audit and VM.Audit; grant read-only access with: %s", tokenID, fix)}
}

// privilegeSeparation recognises a token with privilege separation and no
// ACL of its own from what Proxmox answers it: /cluster/resources lists every
// node but without its statistics (pve-manager PVE/API2/Cluster.pm resources
// and PVE/API2Tools.pm extract_node_stats leave them out without Sys.Audit),
// and the node paths answer 403. It asks /access/permissions, which any
// token may read and which is {} for such a token, only then. It returns the
// one problem that replaces the many 403s, or false.
func privilegeSeparation(ctx context.Context, client pveapi.Client, tokenID string, resources []pveapi.ClusterResource, found problems.Set) (problems.Problem, bool) {
	forbidden := false
	for _, pr := range found {
		forbidden = forbidden || pr.Kind == problems.KindForbidden
	}
	if !forbidden || !nodesWithoutStats(resources) {
		return problems.Problem{}, false
	}
	if perms, err := client.AccessPermissions(ctx); err != nil || len(perms) > 0 {
		return problems.Problem{}, false
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

func privilegeSeparationProblem(tokenID, what string) problems.Problem {
	user, _, _ := strings.Cut(tokenID, "!")
	fix := fmt.Sprintf("pveum acl modify / --tokens '%s' --roles PVEAuditor", tokenID)
	return problems.Problem{Kind: problems.KindPrivilegeSeparation, Err: fmt.Errorf("the API token %s %s: it has privilege separation and no ACL of its own (/access/permissions is empty). Either grant the token itself read access: %s, or recreate it without privilege separation so it inherits the rights of %s: pveum user token add %s %s --privsep 0",
		tokenID, what, fix, user, user, tokenName(tokenID))}
}

func tokenName(tokenID string) string {
	_, name, _ := strings.Cut(tokenID, "!")
	return name
}

// endpointHost is the host part of the endpoint, for server.address.
func endpointHost(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return endpoint
}
