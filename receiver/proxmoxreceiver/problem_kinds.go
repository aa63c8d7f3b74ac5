// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"errors"
	"net/http"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// Kinds of problem, the `kind` label of mnm_proxmox_problem. Each has its fix
// in the README's "When something is wrong", the dashboard's banner and the
// alert rules; keep the four in step.
const (
	kindUnauthorized         = "unauthorized"           // 401: token id or secret wrong, token deleted or expired
	kindForbidden            = "forbidden"              // 403: the token lacks `privilege`
	kindPrivilegeSeparation  = "privilege_separation"   // privilege-separated token without an ACL of its own
	kindAgentPrivilege       = "agent_privilege"        // guest IPs forbidden (VM.GuestAgent.Audit / VM.Monitor)
	kindTLSUnknownAuthority  = "tls_unknown_authority"  // certificate not signed by a trusted CA
	kindTLSHostname          = "tls_hostname"           // certificate for another name
	kindTLSInvalid           = "tls_invalid"            // certificate expired or otherwise invalid
	kindUnreachable          = "unreachable"            // no answer at all: refused, reset, DNS
	kindTimeout              = "timeout"                // no answer within `timeout`
	kindNodeUnreachable      = "node_unreachable"       // the cluster cannot reach a node (595/596), or it hangs
	kindRedirect             = "redirect"               // something in front of Proxmox redirects
	kindServerError          = "server_error"           // Proxmox answered 5xx
	kindAPIError             = "api_error"              // another 4xx
	kindMalformed            = "malformed"              // an answer that is not the expected JSON
	kindUnparsableConfig     = "unparsable_config"      // a guest's netN the receiver cannot read
	kindInventoryDeadline    = "inventory_deadline"     // an inventory cycle ran out of time
	kindDuplicateMAC         = "duplicate_mac"          // two guest NICs of the cluster share a MAC
	kindAgentCommandDisabled = "agent_command_disabled" // a guest agent's configuration blocks a command
)

// apiProblem describes a failed request of path template tmpl about node.
func apiProblem(tmpl, node string, err error) (string, problem) {
	kind, privilege := classify(err)
	return problemKey(tmpl, node, err), problem{kind: kind, node: node, path: tmpl, privilege: privilege, err: err}
}

// classify names the kind of a failed request and, for a 403, the privilege.
func classify(err error) (kind, privilege string) {
	var ae *pveapi.APIError
	switch {
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusUnauthorized:
			return kindUnauthorized, ""
		case ae.Status == http.StatusForbidden:
			_, privilege = ae.Permission()
			return kindForbidden, privilege
		case ae.Status >= 300 && ae.Status < 400:
			return kindRedirect, ""
		case errors.Is(err, pveapi.ErrNodeUnreachable):
			return kindNodeUnreachable, ""
		case ae.Status >= 500:
			return kindServerError, ""
		default:
			return kindAPIError, ""
		}
	case errors.Is(err, pveapi.ErrTLSUnknownAuthority):
		return kindTLSUnknownAuthority, ""
	case errors.Is(err, pveapi.ErrTLSHostname):
		return kindTLSHostname, ""
	case errors.Is(err, pveapi.ErrTLS):
		return kindTLSInvalid, ""
	case errors.Is(err, pveapi.ErrTimeout):
		return kindTimeout, ""
	case errors.Is(err, pveapi.ErrDecode), errors.Is(err, pveapi.ErrTooLarge):
		return kindMalformed, ""
	default:
		return kindUnreachable, ""
	}
}
