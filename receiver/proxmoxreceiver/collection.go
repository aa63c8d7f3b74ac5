// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"fmt"
	"net/url"
	"strings"

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

// problemKey names a problem by path template, node and reason, so it is
// logged once however often it repeats.
func problemKey(tmpl, node string, err error) string {
	key := tmpl + " " + pveapi.ErrorReason(err)
	if node != "" {
		key = node + " " + key
	}
	return key
}

// diagnoseEmptyCluster explains a /cluster/resources answer without nodes:
// Proxmox filters lists by permission silently, so a token without rights
// sees an empty cluster instead of an error.
func diagnoseEmptyCluster(ctx context.Context, client pveapi.Client, tokenID string) error {
	fix := fmt.Sprintf("pveum acl modify / --tokens '%s' --roles PVEAuditor", tokenID)
	perms, err := client.AccessPermissions(ctx)
	if err == nil && len(perms) == 0 {
		user, _, _ := strings.Cut(tokenID, "!")
		return fmt.Errorf("the API token %s sees no nodes: it has privilege separation and no ACL of its own (/access/permissions is empty). Either grant the token itself read access: %s, or recreate it without privilege separation so it inherits the rights of %s: pveum user token add %s %s --privsep 0",
			tokenID, fix, user, user, tokenName(tokenID))
	}
	return fmt.Errorf("the API token %s sees no nodes in /cluster/resources: it lacks Sys.Audit and VM.Audit; grant read-only access with: %s", tokenID, fix)
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
