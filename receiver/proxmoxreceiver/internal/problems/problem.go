// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"

import (
	"errors"
	"net/http"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// Problem is one thing that keeps the receiver from reporting everything,
// with bounded labels (never free text) for mnm.proxmox.problem.
type Problem struct {
	Kind      string // see the Kind constants
	Node      string // the node it is about, or ""
	Path      string // the Proxmox path template, or ""
	Privilege string // the privilege a 403 names, or ""
	Err       error  // what is logged
}

// Labels are the labels of a problem's mnm.proxmox.problem series.
type Labels struct{ kind, node, path, privilege string }

// Labels returns the labels of p's series.
func (p Problem) Labels() Labels { return Labels{p.Kind, p.Node, p.Path, p.Privilege} }

// Set collects the problems of one collection, keyed by what they are
// about (path template, node, reason), so that a changing detail such as a
// timeout's duration does not count as a new problem.
type Set map[string]Problem

// Add adds pr under key unless a problem is known under key already.
func (p Set) Add(key string, pr Problem) {
	if _, seen := p[key]; !seen {
		p[key] = pr
	}
}

// FromAPI describes a failed request of path template tmpl about node.
func FromAPI(tmpl, node string, err error) (string, Problem) {
	kind, privilege := Classify(err)
	return Key(tmpl, node, err), Problem{Kind: kind, Node: node, Path: tmpl, Privilege: privilege, Err: err}
}

// Key names a problem by path template, node and reason, so it is
// logged once however often it repeats.
func Key(tmpl, node string, err error) string {
	key := tmpl + " " + pveapi.ErrorReason(err)
	if node != "" {
		key = node + " " + key
	}
	return key
}

// Classify names the kind of a failed request and, for a 403, the privilege.
func Classify(err error) (kind, privilege string) {
	var ae *pveapi.APIError
	switch {
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusUnauthorized:
			return KindUnauthorized, ""
		case ae.Status == http.StatusForbidden:
			_, privilege = ae.Permission()
			return KindForbidden, privilege
		case ae.Status >= 300 && ae.Status < 400:
			return KindRedirect, ""
		case errors.Is(err, pveapi.ErrNodeUnreachable):
			return KindNodeUnreachable, ""
		case ae.Status >= 500:
			return KindServerError, ""
		default:
			return KindAPIError, ""
		}
	case errors.Is(err, pveapi.ErrTLSUnknownAuthority):
		return KindTLSUnknownAuthority, ""
	case errors.Is(err, pveapi.ErrTLSHostname):
		return KindTLSHostname, ""
	case errors.Is(err, pveapi.ErrTLS):
		return KindTLSInvalid, ""
	case errors.Is(err, pveapi.ErrTimeout):
		return KindTimeout, ""
	case errors.Is(err, pveapi.ErrDecode), errors.Is(err, pveapi.ErrTooLarge):
		return KindMalformed, ""
	default:
		return KindUnreachable, ""
	}
}
