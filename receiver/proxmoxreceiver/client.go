package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"
)

const (
	apiPrefix = "/api2/json"
	// maxResponseBytes bounds one answer; /cluster/resources of 10,000
	// guests is about 4 MiB.
	maxResponseBytes = 64 << 20
	// maxErrorBodyBytes bounds what is read of an error answer.
	maxErrorBodyBytes = 64 << 10
)

var (
	errDecode   = errors.New("malformed JSON")
	errTooLarge = errors.New("response too large")
)

// Path templates: they name requests in errors, logs and metrics, never the
// raw URL (unbounded cardinality, and some carry guest names).
const (
	pathClusterResources  = "/cluster/resources"
	pathClusterStatus     = "/cluster/status"
	pathAccessPermissions = "/access/permissions"
	pathNodeStatus        = "/nodes/{node}/status"
	pathNodeStorage       = "/nodes/{node}/storage"
	pathNodeZFS           = "/nodes/{node}/disks/zfs"
	pathNodeDisks         = "/nodes/{node}/disks/list"
	pathGuestConfig       = "/nodes/{node}/{type}/{vmid}/config"
	pathAgentInterfaces   = "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"
	pathLXCInterfaces     = "/nodes/{node}/lxc/{vmid}/interfaces"
)

// proxmoxClient is the read-only Proxmox VE API client, one method per path.
type proxmoxClient struct {
	http     *http.Client
	base     string // endpoint + /api2/json, without a trailing slash
	endpoint string
	auth     string // the Authorization header; holds the secret, never logged
	tokenID  string
	limiter  *requestLimiter
	stats    *apiStats
	logger   *zap.Logger
}

func newProxmoxClient(cfg *Config, httpClient *http.Client, logger *zap.Logger, stats *apiStats) *proxmoxClient {
	httpClient.Transport = readOnlyTransport{next: httpClient.Transport}
	endpoint := strings.TrimRight(cfg.ClientConfig.Endpoint, "/")
	return &proxmoxClient{
		http:     httpClient,
		base:     strings.TrimSuffix(endpoint, apiPrefix) + apiPrefix,
		endpoint: endpoint,
		auth:     "PVEAPIToken=" + cfg.TokenID + "=" + string(cfg.TokenSecret),
		tokenID:  cfg.TokenID,
		limiter:  newRequestLimiter(cfg.MaxConcurrentRequestsPerNode, cfg.MaxConcurrentRequests),
		stats:    stats,
		logger:   logger,
	}
}

// get sends one GET for path (counted under template tmpl, limited by node)
// and returns the "data" member of the answer.
func (c *proxmoxClient) get(ctx context.Context, tmpl, node, path string) (json.RawMessage, error) {
	body, err := c.doGet(ctx, tmpl, node, path)
	if err == nil {
		body, err = envelopeData(body, path)
	}
	c.noteFailure(tmpl, path, err)
	return body, err
}

// noteFailure counts and debug-logs a failed request; a node without ZFS is
// not a failure.
func (c *proxmoxClient) noteFailure(tmpl, path string, err error) {
	if err != nil && !isNoZFS(err) {
		c.stats.failed(tmpl, errorReason(err))
		c.logger.Debug("Proxmox API request failed", zap.String("path", path), zap.Error(err))
	}
}

// envelopeData returns the "data" member of a whole answer.
func envelopeData(body []byte, path string) (json.RawMessage, error) {
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", errDecode, path, err)
	}
	return envelope.Data, nil
}

// doGet sends one GET and returns the whole body of a 200 answer.
func (c *proxmoxClient) doGet(ctx context.Context, tmpl, node, path string) ([]byte, error) {
	release, err := c.limiter.acquire(ctx, node)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer release()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")

	c.stats.sent(tmpl)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(c.endpoint, path, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBodyBytes))
		_ = resp.Body.Close()
	}()

	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		return nil, &apiError{Path: path, Status: resp.StatusCode, Message: errorMessage(resp, body), tokenID: c.tokenID}
	}

	body, err := readBody(resp, maxResponseBytes)
	if err != nil {
		return nil, transportError(c.endpoint, path, err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("%w: GET %s: answer larger than %d bytes", errTooLarge, path, maxResponseBytes)
	}
	return body, nil
}

// readBody reads at most limit+1 bytes of the body, sized from
// Content-Length when Proxmox sends one, so that a 4 MiB /cluster/resources
// is read into one buffer instead of a doubling series of copies.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(resp.Body, limit+1)
	if resp.ContentLength <= 0 || resp.ContentLength > limit {
		return io.ReadAll(r)
	}
	var buf bytes.Buffer
	buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// getObject decodes a single-object answer into out.
func (c *proxmoxClient) getObject(ctx context.Context, tmpl, node, path string, out any) error {
	data, err := c.get(ctx, tmpl, node, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		c.stats.failed(tmpl, "decode")
		return fmt.Errorf("%w: GET %s: %v", errDecode, path, err)
	}
	return nil
}

// getList decodes a list answer entry by entry, so that one malformed entry
// costs only that entry: the others are returned with an errDecode error.
func getList[T any](ctx context.Context, c *proxmoxClient, tmpl, node, path string) ([]T, error) {
	body, err := c.doGet(ctx, tmpl, node, path)
	if err != nil {
		c.noteFailure(tmpl, path, err)
		return nil, err
	}
	if out, bad, ok := streamList[T](body); ok {
		if len(bad) > 0 {
			c.stats.failed(tmpl, "decode")
			return out, fmt.Errorf("%w: GET %s: %d of %d entries skipped: %w", errDecode, path, len(bad), len(out)+len(bad), errors.Join(bad...))
		}
		return out, nil
	}
	// Anything but a well-formed {"data":[...]} takes the general path,
	// which words every error as it always has.
	data, err := envelopeData(body, path)
	if err != nil {
		c.noteFailure(tmpl, path, err)
		return nil, err
	}
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		c.stats.failed(tmpl, "decode")
		return nil, fmt.Errorf("%w: GET %s: expected a list: %v", errDecode, path, err)
	}
	out := make([]T, 0, len(raw))
	var bad []error
	for i, r := range raw {
		var v T
		if err := json.Unmarshal(r, &v); err != nil {
			bad = append(bad, fmt.Errorf("entry %d: %v", i, err))
			continue
		}
		out = append(out, v)
	}
	if len(bad) > 0 {
		c.stats.failed(tmpl, "decode")
		return out, fmt.Errorf("%w: GET %s: %d of %d entries skipped: %w", errDecode, path, len(bad), len(raw), errors.Join(bad...))
	}
	return out, nil
}

// clusterResources reads GET /cluster/resources: guests, nodes, storage.
func (c *proxmoxClient) clusterResources(ctx context.Context) ([]clusterResource, error) {
	return getList[clusterResource](ctx, c, pathClusterResources, "", "/cluster/resources")
}

// clusterStatus reads GET /cluster/status: quorum and node membership.
func (c *proxmoxClient) clusterStatus(ctx context.Context) ([]clusterStatusEntry, error) {
	return getList[clusterStatusEntry](ctx, c, pathClusterStatus, "", "/cluster/status")
}

// accessPermissions reads GET /access/permissions: the token's effective ACL.
func (c *proxmoxClient) accessPermissions(ctx context.Context) (map[string]map[string]json.RawMessage, error) {
	var perms map[string]map[string]json.RawMessage
	err := c.getObject(ctx, pathAccessPermissions, "", "/access/permissions", &perms)
	return perms, err
}

// nodeStatus reads GET /nodes/{node}/status.
func (c *proxmoxClient) nodeStatus(ctx context.Context, node string) (nodeStatus, error) {
	var st nodeStatus
	err := c.getObject(ctx, pathNodeStatus, node, "/nodes/"+url.PathEscape(node)+"/status", &st)
	return st, err
}

// nodeStorage reads GET /nodes/{node}/storage.
func (c *proxmoxClient) nodeStorage(ctx context.Context, node string) ([]nodeStorage, error) {
	return getList[nodeStorage](ctx, c, pathNodeStorage, node, "/nodes/"+url.PathEscape(node)+"/storage")
}

// nodeZFSPools reads GET /nodes/{node}/disks/zfs. A node without ZFS answers
// 500 "zpool list ... failed" (or "zfsutils-linux not installed"): no pools.
func (c *proxmoxClient) nodeZFSPools(ctx context.Context, node string) ([]zfsPool, error) {
	pools, err := getList[zfsPool](ctx, c, pathNodeZFS, node, "/nodes/"+url.PathEscape(node)+"/disks/zfs")
	if isNoZFS(err) {
		return nil, nil
	}
	return pools, err
}

// isNoZFS recognises the answer of a node without ZFS: 500 from a failing
// "zpool list" or "zfsutils-linux not installed". It is not an error.
func isNoZFS(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusInternalServerError &&
		(strings.Contains(ae.Message, "zpool") || strings.Contains(ae.Message, "zfsutils"))
}

// nodeDisks reads GET /nodes/{node}/disks/list (Proxmox runs smartctl on
// every disk for this call).
func (c *proxmoxClient) nodeDisks(ctx context.Context, node string) ([]physicalDisk, error) {
	return getList[physicalDisk](ctx, c, pathNodeDisks, node, "/nodes/"+url.PathEscape(node)+"/disks/list")
}

// guestConfig reads GET /nodes/{node}/{qemu|lxc}/{vmid}/config.
func (c *proxmoxClient) guestConfig(ctx context.Context, node, kind string, vmid int64) (map[string]json.RawMessage, error) {
	var cfg map[string]json.RawMessage
	err := c.getObject(ctx, pathGuestConfig, node, fmt.Sprintf("/nodes/%s/%s/%d/config", url.PathEscape(node), kind, vmid), &cfg)
	return cfg, err
}

// agentInterfaces reads GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces.
func (c *proxmoxClient) agentInterfaces(ctx context.Context, node string, vmid int64) (json.RawMessage, error) {
	return c.get(ctx, pathAgentInterfaces, node, fmt.Sprintf("/nodes/%s/qemu/%d/agent/network-get-interfaces", url.PathEscape(node), vmid))
}

// lxcInterfaces reads GET /nodes/{node}/lxc/{vmid}/interfaces.
func (c *proxmoxClient) lxcInterfaces(ctx context.Context, node string, vmid int64) (json.RawMessage, error) {
	return c.get(ctx, pathLXCInterfaces, node, fmt.Sprintf("/nodes/%s/lxc/%d/interfaces", url.PathEscape(node), vmid))
}
