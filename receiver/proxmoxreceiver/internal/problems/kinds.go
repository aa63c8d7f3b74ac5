// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"

// Kinds of problem, the `kind` label of mnm_proxmox_problem. Each has its fix
// in the README's "When something is wrong", the dashboard's banner and the
// alert rules; keep the four in step.
const (
	KindUnauthorized         = "unauthorized"           // 401: token id or secret wrong, token deleted or expired
	KindForbidden            = "forbidden"              // 403: the token lacks `privilege`
	KindPrivilegeSeparation  = "privilege_separation"   // privilege-separated token without an ACL of its own
	KindAgentPrivilege       = "agent_privilege"        // guest IPs forbidden (VM.GuestAgent.Audit / VM.Monitor)
	KindTLSUnknownAuthority  = "tls_unknown_authority"  // certificate not signed by a trusted CA
	KindTLSHostname          = "tls_hostname"           // certificate for another name
	KindTLSInvalid           = "tls_invalid"            // certificate expired or otherwise invalid
	KindUnreachable          = "unreachable"            // no answer at all: refused, reset, DNS
	KindTimeout              = "timeout"                // no answer within `timeout`
	KindNodeUnreachable      = "node_unreachable"       // the cluster cannot reach a node (595/596), or it hangs
	KindRedirect             = "redirect"               // something in front of Proxmox redirects
	KindServerError          = "server_error"           // Proxmox answered 5xx
	KindAPIError             = "api_error"              // another 4xx
	KindMalformed            = "malformed"              // an answer that is not the expected JSON
	KindUnparsableConfig     = "unparsable_config"      // a guest's netN the receiver cannot read
	KindInventoryDeadline    = "inventory_deadline"     // an inventory cycle ran out of time
	KindDuplicateMAC         = "duplicate_mac"          // two guest NICs of the cluster share a MAC
	KindAgentCommandDisabled = "agent_command_disabled" // a guest agent's configuration blocks a command
	KindProxmoxBug           = "proxmox_bug"            // a known Proxmox VE bug, fixed by an update, makes an answer wrong
)
