// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Status codes pveproxy invents when its hop to another node fails.
const (
	statusProxyConnect = 595
	statusProxyTLS     = 596
)

var (
	// ErrUnauthorized matches a 401: the token is wrong, deleted or expired.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden matches a 403: the token lacks a privilege.
	ErrForbidden = errors.New("forbidden")
	// ErrNodeUnreachable matches 595/596: the endpoint node could not reach the node a path is about.
	ErrNodeUnreachable = errors.New("node unreachable")
	// ErrTLS wraps a certificate the client does not trust.
	ErrTLS = errors.New("tls")
	// ErrUnreachable wraps a request that got no HTTP answer (refused, timed out, reset).
	ErrUnreachable = errors.New("proxmox unreachable")
	// ErrTimeout wraps a request that got no answer within the timeout (also an ErrUnreachable).
	ErrTimeout = errors.New("timeout")
	// ErrTLSUnknownAuthority and ErrTLSHostname tell which certificate
	// problem an ErrTLS is.
	ErrTLSUnknownAuthority = errors.New("certificate signed by an unknown authority")
	ErrTLSHostname         = errors.New("certificate not valid for the host name")
	// ErrNoZFS is NodeZFSPools' answer for a node without ZFS: not a failure.
	ErrNoZFS = errors.New("node has no ZFS")
	// ErrDecode wraps an answer that is not the JSON its path returns.
	ErrDecode = errors.New("malformed JSON")
	// ErrTooLarge wraps an answer over the size bound.
	ErrTooLarge = errors.New("response too large")
)

// permissionCheck matches "Permission check failed (/vms/100, VM.Audit)".
var permissionCheck = regexp.MustCompile(`Permission check failed \(([^,]+), ([^)]+)\)`)

// APIError is a non-2xx answer of the Proxmox API. Its text names the path
// and, where there is one, the fix.
type APIError struct {
	Path    string // the request path, such as /nodes/pve2/status
	Status  int
	Message string // Proxmox's own text, from the body or the reason phrase
	// Location is where a redirect (3xx) pointed, without any password.
	Location string
	// fromProxmox: pveproxy sent the answer (not a proxy in front of it).
	fromProxmox bool
	tokenID     string
}

func (e *APIError) Error() string {
	prefix := "GET " + e.Path
	switch {
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("%s: Proxmox rejected the API token (401 %s): check token_id %q and token_secret; the token may be deleted or expired, or its user disabled",
			prefix, e.messageOr("authentication failed"), e.tokenID)
	case e.Status == http.StatusForbidden:
		if m := permissionCheck.FindStringSubmatch(e.Message); m != nil {
			return fmt.Sprintf("%s: the token lacks privilege %s on %s (403); grant read-only access with: pveum acl modify / --tokens '%s' --roles PVEAuditor",
				prefix, m[2], m[1], e.tokenID)
		}
		return fmt.Sprintf("%s: permission denied (403 %s); grant read-only access with: pveum acl modify / --tokens '%s' --roles PVEAuditor",
			prefix, e.messageOr("forbidden"), e.tokenID)
	case e.Status >= 300 && e.Status < 400:
		return fmt.Sprintf("%s: answered with a redirect (%d to %q), which Proxmox never sends for an API call: set endpoint to a node's API address itself (https://HOST:8006), not a proxy, load balancer or login page; the request was not followed",
			prefix, e.Status, e.Location)
	case e.Status == statusProxyConnect || e.Status == statusProxyTLS:
		return fmt.Sprintf("%s: node unreachable from the cluster (%d %s)", prefix, e.Status, e.messageOr("proxy error"))
	default:
		return fmt.Sprintf("%s: %d %s", prefix, e.Status, e.messageOr(http.StatusText(e.Status)))
	}
}

func (e *APIError) messageOr(fallback string) string {
	if e.Message == "" {
		return fallback
	}
	return e.Message
}

func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNodeUnreachable:
		return e.Status == statusProxyConnect || e.Status == statusProxyTLS
	}
	return false
}

// errorMessage reads Proxmox's explanation: PVE 8.3 and later put it in the
// body's "message", older versions only in the HTTP reason phrase.
func errorMessage(resp *http.Response, body []byte) string {
	var env struct {
		Message string            `json:"message"`
		Errors  map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		msg := strings.TrimSpace(env.Message)
		for k, v := range env.Errors {
			msg = strings.TrimSpace(msg + " " + k + ": " + v)
		}
		if msg != "" {
			return msg
		}
	}
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if reason != "" && reason != http.StatusText(resp.StatusCode) {
		return reason
	}
	if text := strings.TrimSpace(string(body)); text != "" && !strings.HasPrefix(text, "{") {
		return abbreviate([]byte(text))
	}
	return reason
}

// transportError explains a request that got no HTTP answer at all.
func transportError(endpoint, path string, err error) error {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownAuthority):
		return also(fmt.Errorf("%w: GET %s: the certificate of %s is not signed by a trusted authority: set tls.ca_file to a copy of the node's /etc/pve/pve-root-ca.pem, or for a test setup tls.insecure_skip_verify: true (%v)", ErrTLS, path, endpoint, err), ErrTLSUnknownAuthority)
	case errors.As(err, &hostname):
		return also(fmt.Errorf("%w: GET %s: the certificate of %s is not valid for that name: use the host name the certificate was issued for in endpoint, or set tls.server_name_override (%v)", ErrTLS, path, endpoint, err), ErrTLSHostname)
	case errors.As(err, &invalid):
		return fmt.Errorf("%w: GET %s: the certificate of %s is invalid (%v): renew it with pvecm updatecerts, or set tls.insecure_skip_verify: true for a test setup", ErrTLS, path, endpoint, err)
	case errors.Is(err, context.DeadlineExceeded) || isNetTimeout(err):
		return also(fmt.Errorf("%w: GET %s: no answer from %s within the timeout: %v", ErrUnreachable, path, endpoint, err), ErrTimeout)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Errorf("%w: GET %s: cannot reach Proxmox at %s: %v", ErrUnreachable, path, endpoint, err)
	}
	return fmt.Errorf("%w: GET %s: %v", ErrUnreachable, path, err)
}

// ErrorReason is the low-cardinality reason recorded in mnm.proxmox.api.errors.
func ErrorReason(err error) string {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		return strconv.Itoa(ae.Status)
	case errors.Is(err, ErrTLS):
		return "tls"
	case errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrDecode):
		return "decode"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	default:
		return "transport"
	}
}

// IsNoZFS recognises the answer of a node without ZFS: 500 from a failing
// "zpool list" or "zfsutils-linux not installed". It is not an error.
func IsNoZFS(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusInternalServerError &&
		(strings.Contains(ae.Message, "zpool") || strings.Contains(ae.Message, "zfsutils"))
}

// redactedLocation is a redirect's Location without any password in it.
func redactedLocation(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil {
		return u.Redacted()
	}
	return loc
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// alsoError is an error that also matches a second sentinel with errors.Is,
// without a change to its text.
type alsoError struct {
	error
	kind error
}

func also(err, kind error) error { return alsoError{error: err, kind: kind} }

func (e alsoError) Unwrap() []error { return []error{e.error, e.kind} }

// Permission returns the path and privilege of a 403 "Permission check
// failed (PATH, PRIV)", or empty strings.
func (e *APIError) Permission() (path, privilege string) {
	if e.Status != http.StatusForbidden {
		return "", ""
	}
	if m := permissionCheck.FindStringSubmatch(e.Message); m != nil {
		return m[1], m[2]
	}
	return "", ""
}
