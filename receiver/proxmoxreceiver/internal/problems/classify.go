// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package problems // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"

import (
	"errors"
	"net/http"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

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
