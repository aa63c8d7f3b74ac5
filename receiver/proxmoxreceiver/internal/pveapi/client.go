// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pveapi // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/guestnet"
)

const (
	apiPrefix = "/api2/json"
	// maxAnswerBytes bounds one answer; /cluster/resources of 10,000
	// guests is about 4 MiB.
	maxAnswerBytes = 64 << 20
	// maxErrorBodyBytes bounds what is read of an error answer.
	maxErrorBodyBytes = 64 << 10
)

// Client reads the Proxmox VE API, one method per path. Every method sends
// exactly one GET, bounded per node, and returns an error that names the path
// (see APIError and the Err* sentinels).
type Client interface {
	// ClusterResources reads GET /cluster/resources: guests, nodes, storage.
	ClusterResources(ctx context.Context) ([]ClusterResource, error)
	// ClusterStatus reads GET /cluster/status: quorum and node membership.
	ClusterStatus(ctx context.Context) ([]ClusterStatusEntry, error)
	// AccessPermissions reads GET /access/permissions: the token's effective ACL.
	AccessPermissions(ctx context.Context) (Permissions, error)
	// NodeStatus reads GET /nodes/{node}/status.
	NodeStatus(ctx context.Context, node string) (NodeStatus, error)
	// NodeStorage reads GET /nodes/{node}/storage.
	NodeStorage(ctx context.Context, node string) ([]Storage, error)
	// NodeZFSPools reads GET /nodes/{node}/disks/zfs. A node without ZFS
	// answers 500 "zpool list ... failed" (or "zfsutils-linux not
	// installed"): that is ErrNoZFS, not a failure.
	NodeZFSPools(ctx context.Context, node string) ([]ZFSPool, error)
	// NodeDisks reads GET /nodes/{node}/disks/list (Proxmox runs smartctl on
	// every disk for this call).
	NodeDisks(ctx context.Context, node string) ([]Disk, error)
	// GuestConfig reads GET /nodes/{node}/{qemu|lxc}/{vmid}/config.
	GuestConfig(ctx context.Context, node, kind string, vmid int64) (GuestConfig, error)
	// AgentInterfaces reads GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces.
	AgentInterfaces(ctx context.Context, node string, vmid int64) ([]guestnet.InterfaceAddrs, error)
	// LXCInterfaces reads GET /nodes/{node}/lxc/{vmid}/interfaces.
	LXCInterfaces(ctx context.Context, node string, vmid int64) ([]guestnet.InterfaceAddrs, error)
	// AgentFSInfo reads GET /nodes/{node}/qemu/{vmid}/agent/get-fsinfo.
	AgentFSInfo(ctx context.Context, node string, vmid int64) ([]guestnet.Filesystem, error)
	// AgentOSInfo reads GET /nodes/{node}/qemu/{vmid}/agent/get-osinfo.
	AgentOSInfo(ctx context.Context, node string, vmid int64) (guestnet.OSInfo, error)
	// AgentHostName reads GET /nodes/{node}/qemu/{vmid}/agent/get-host-name.
	AgentHostName(ctx context.Context, node string, vmid int64) (string, error)
	// NodeQemuFull reads GET /nodes/{node}/qemu?full=1: every VM of the node
	// with its balloon statistics, in one request.
	NodeQemuFull(ctx context.Context, node string) ([]QemuStatus, error)
	// NodeNetstat reads GET /nodes/{node}/netstat: per guest NIC counters.
	NodeNetstat(ctx context.Context, node string) ([]NetstatEntry, error)
	// SDNVNets reads GET /cluster/sdn/vnets; without SDN.Audit it is [].
	SDNVNets(ctx context.Context) ([]SDNVNet, error)
	// SDNZones reads GET /cluster/sdn/zones; without SDN.Audit it is [].
	SDNZones(ctx context.Context) ([]SDNZone, error)
	// SDNIndex reads GET /cluster/sdn, which answers 403 without SDN.Audit:
	// it tells "no SDN" from "not allowed to see it".
	SDNIndex(ctx context.Context) error
	// NotBackedUp reads GET /cluster/backup-info/not-backed-up.
	NotBackedUp(ctx context.Context) ([]NotBackedUp, error)
	// NodeBackupTasks reads GET /nodes/{node}/tasks?typefilter=vzdump&since=SINCE&limit=LIMIT.
	NodeBackupTasks(ctx context.Context, node string, since int64, limit int) ([]Task, error)
	// TaskLog reads GET /nodes/{node}/tasks/{upid}/log?limit=LIMIT.
	TaskLog(ctx context.Context, node, upid string, limit int) ([]TaskLogLine, error)
	// NodeReplication reads GET /nodes/{node}/replication.
	NodeReplication(ctx context.Context, node string) ([]ReplicationJob, error)
	// HAStatus reads GET /cluster/ha/status/current.
	HAStatus(ctx context.Context) ([]HAStatusEntry, error)
	// CephStatus reads GET /cluster/ceph/status. A cluster without Ceph
	// answers 500 (see IsAbsent).
	CephStatus(ctx context.Context) (CephStatus, error)
	// NodeCertificates reads GET /nodes/{node}/certificates/info.
	NodeCertificates(ctx context.Context, node string) ([]Certificate, error)
	// NodeSubscription reads GET /nodes/{node}/subscription.
	NodeSubscription(ctx context.Context, node string) (Subscription, error)
}

var _ Client = (*client)(nil)

// Settings configure a Client.
type Settings struct {
	// Endpoints are API addresses of nodes of one cluster, such as
	// https://pve1.example.com:8006 (with or without /api2/json), in order of
	// preference: any node answers for the whole cluster.
	Endpoints []string
	// ProbeInterval is how often, while a later endpoint serves, the first
	// one is tried again (at most once per interval).
	ProbeInterval time.Duration
	// TokenID is USER@REALM!TOKENID; it is named in error messages.
	TokenID string
	// TokenSecret is the token's secret; it is only ever sent in the
	// Authorization header.
	TokenSecret string
	// MaxConcurrentRequestsPerNode and MaxConcurrentRequests bound requests
	// in flight (see requestLimiter).
	MaxConcurrentRequestsPerNode int
	MaxConcurrentRequests        int
	// Stats counts requests and failures; it may be shared by several clients.
	Stats  *Stats
	Logger *zap.Logger
}

// client is the HTTP implementation of Client.
type client struct {
	http      *http.Client
	endpoints *endpointSet
	auth      string // the Authorization header; holds the secret, never logged
	tokenID   string
	limiter   *requestLimiter
	// maxAnswerBytes bounds one answer (a test lowers it).
	maxAnswerBytes int64
	stats          *Stats
	logger         *zap.Logger
}

// New returns a Client that sends its requests with httpClient, whose
// transport it wraps so that nothing but GET ever leaves the process.
func New(httpClient *http.Client, s Settings) Client {
	next := httpClient.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	httpClient.Transport = readOnlyTransport{next: next}
	// Proxmox never redirects an API call; a redirect comes from something in
	// between (a proxy, a web UI address) and following it would send the
	// token there. It is answered as an error naming the Location instead.
	httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{
		http:           httpClient,
		endpoints:      newEndpointSet(s.Endpoints, s.ProbeInterval, s.Stats, s.Logger),
		auth:           "PVEAPIToken=" + s.TokenID + "=" + s.TokenSecret,
		tokenID:        s.TokenID,
		limiter:        newRequestLimiter(s.MaxConcurrentRequestsPerNode, s.MaxConcurrentRequests),
		maxAnswerBytes: maxAnswerBytes,
		stats:          s.Stats,
		logger:         s.Logger,
	}
}

// get sends one GET for path (counted under template tmpl, limited by node)
// and returns the "data" member of the answer.
func (c *client) get(ctx context.Context, tmpl, node, path string) (json.RawMessage, error) {
	var data json.RawMessage
	err := c.doGet(ctx, tmpl, node, path, func(answer io.Reader) error {
		body, err := io.ReadAll(answer)
		if err != nil {
			return err
		}
		data, err = envelopeData(body, path)
		return err
	})
	c.noteFailure(tmpl, path, err)
	return data, err
}

// noteFailure counts and debug-logs a failed request; a node without ZFS is
// not a failure.
func (c *client) noteFailure(tmpl, path string, err error) {
	if err != nil && !IsNoZFS(err) {
		c.stats.failed(tmpl, ErrorReason(err))
		c.logger.Debug("Proxmox API request failed", zap.String("path", path), zap.Error(err))
	}
}

// envelopeData returns the "data" member of a whole answer.
func envelopeData(body []byte, path string) (json.RawMessage, error) {
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrDecode, path, err)
	}
	return envelope.Data, nil
}

// doGet sends one GET and hands the body of a 200 answer to read, while the
// answer is being received: a list is decoded from the connection entry by
// entry, never held whole (a 4 MiB /cluster/resources at 10,000 guests). It
// goes to the current endpoint and, when that one cannot answer as Proxmox
// (see failsOver), to the next ones in turn: one answer per request, never
// the same request answered twice. read may be called once per endpoint
// tried; what it keeps of a failed try is overwritten by the next.
func (c *client) doGet(ctx context.Context, tmpl, node, path string, read func(io.Reader) error) error {
	release, err := c.limiter.acquire(ctx, node)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer release()

	var lastErr error
	for _, i := range c.endpoints.order() {
		err := c.getFrom(ctx, tmpl, i, path, read)
		if !failsOver(err) || ctx.Err() != nil {
			c.endpoints.served(i)
			return err
		}
		c.endpoints.failed(i, err)
		lastErr = err
	}
	return lastErr
}

// getFrom sends one GET to endpoint i.
func (c *client) getFrom(ctx context.Context, tmpl string, i int, path string, read func(io.Reader) error) error {
	ep := c.endpoints.at(i)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.base+path, http.NoBody)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")

	c.stats.sent(tmpl)
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ep.address, path, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBodyBytes))
		_ = resp.Body.Close()
	}()

	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		return &APIError{Path: path, Status: resp.StatusCode, Message: errorMessage(resp, body), Location: redactedLocation(resp),
			fromProxmox: isProxmoxAnswer(resp), tokenID: c.tokenID}
	}

	answer := &answerReader{r: resp.Body, left: c.maxAnswerBytes + 1}
	err = read(answer)
	switch {
	case answer.readErr != nil:
		// The connection failed mid-answer (cut, reset, timed out): a
		// transport failure, whatever the decoder made of the bytes it got.
		return transportError(ep.address, path, answer.readErr)
	case answer.left <= 0:
		return fmt.Errorf("%w: GET %s: answer larger than %d bytes", ErrTooLarge, path, c.maxAnswerBytes)
	}
	return err
}

// answerReader is the body of a 200 answer as a decoder reads it: at most
// left bytes (the bound plus one, to tell an answer of exactly the bound from
// a larger one), remembering a failed read so that getFrom can tell a lost
// connection from an answer that is not valid JSON.
type answerReader struct {
	r       io.Reader
	left    int64
	readErr error
}

func (a *answerReader) Read(p []byte) (int, error) {
	if a.left <= 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > a.left {
		p = p[:a.left]
	}
	n, err := a.r.Read(p)
	a.left -= int64(n)
	if err != nil && err != io.EOF && a.readErr == nil {
		a.readErr = err
	}
	return n, err
}

// getObject decodes a single-object answer into out.
func (c *client) getObject(ctx context.Context, tmpl, node, path string, out any) error {
	data, err := c.get(ctx, tmpl, node, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		c.stats.failed(tmpl, "decode")
		return fmt.Errorf("%w: GET %s: %v", ErrDecode, path, err)
	}
	return nil
}

// getList decodes a list answer entry by entry as it arrives, so that one
// malformed entry costs only that entry: the others are returned with an
// ErrDecode error.
func getList[T any](ctx context.Context, c *client, tmpl, node, path string) ([]T, error) {
	var out []T
	var decodeErr error
	err := c.doGet(ctx, tmpl, node, path, func(answer io.Reader) error {
		out, decodeErr = decodeList[T](answer, path)
		return decodeErr
	})
	if err != nil && err == decodeErr {
		c.stats.failed(tmpl, "decode")
		return out, err // the entries that decoded, with the error naming the others
	}
	c.noteFailure(tmpl, path, err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func nodePath(node, rest string) string {
	return "/nodes/" + url.PathEscape(node) + rest
}

func (c *client) ClusterResources(ctx context.Context) ([]ClusterResource, error) {
	return getList[ClusterResource](ctx, c, PathClusterResources, "", "/cluster/resources")
}

func (c *client) ClusterStatus(ctx context.Context) ([]ClusterStatusEntry, error) {
	return getList[ClusterStatusEntry](ctx, c, PathClusterStatus, "", "/cluster/status")
}

func (c *client) AccessPermissions(ctx context.Context) (Permissions, error) {
	var perms Permissions
	err := c.getObject(ctx, PathAccessPermissions, "", "/access/permissions", &perms)
	return perms, err
}

func (c *client) NodeStatus(ctx context.Context, node string) (NodeStatus, error) {
	var st NodeStatus
	err := c.getObject(ctx, PathNodeStatus, node, nodePath(node, "/status"), &st)
	return st, err
}

func (c *client) NodeStorage(ctx context.Context, node string) ([]Storage, error) {
	return getList[Storage](ctx, c, PathNodeStorage, node, nodePath(node, "/storage"))
}

func (c *client) NodeZFSPools(ctx context.Context, node string) ([]ZFSPool, error) {
	pools, err := getList[ZFSPool](ctx, c, PathNodeZFS, node, nodePath(node, "/disks/zfs"))
	if IsNoZFS(err) {
		return nil, ErrNoZFS
	}
	return pools, err
}

func (c *client) NodeDisks(ctx context.Context, node string) ([]Disk, error) {
	return getList[Disk](ctx, c, PathNodeDisks, node, nodePath(node, "/disks/list"))
}

func (c *client) GuestConfig(ctx context.Context, node, kind string, vmid int64) (GuestConfig, error) {
	var raw map[string]json.RawMessage
	if err := c.getObject(ctx, PathGuestConfig, node, nodePath(node, fmt.Sprintf("/%s/%d/config", kind, vmid)), &raw); err != nil {
		return GuestConfig{}, err
	}
	return guestnet.ParseConfig(kind, raw), nil
}

func (c *client) AgentInterfaces(ctx context.Context, node string, vmid int64) ([]guestnet.InterfaceAddrs, error) {
	data, err := c.get(ctx, PathAgentInterfaces, node, nodePath(node, fmt.Sprintf("/qemu/%d/agent/network-get-interfaces", vmid)))
	if err != nil {
		return nil, err
	}
	return guestnet.ParseAgentInterfaces(data)
}

func (c *client) LXCInterfaces(ctx context.Context, node string, vmid int64) ([]guestnet.InterfaceAddrs, error) {
	data, err := c.get(ctx, PathLXCInterfaces, node, nodePath(node, fmt.Sprintf("/lxc/%d/interfaces", vmid)))
	if err != nil {
		return nil, err
	}
	return guestnet.ParseLXCInterfaces(data)
}

func (c *client) AgentFSInfo(ctx context.Context, node string, vmid int64) ([]guestnet.Filesystem, error) {
	data, err := c.get(ctx, PathAgentFSInfo, node, nodePath(node, fmt.Sprintf("/qemu/%d/agent/get-fsinfo", vmid)))
	if err != nil {
		return nil, err
	}
	return guestnet.ParseAgentFSInfo(data)
}

func (c *client) AgentOSInfo(ctx context.Context, node string, vmid int64) (guestnet.OSInfo, error) {
	data, err := c.get(ctx, PathAgentOSInfo, node, nodePath(node, fmt.Sprintf("/qemu/%d/agent/get-osinfo", vmid)))
	if err != nil {
		return guestnet.OSInfo{}, err
	}
	return guestnet.ParseAgentOSInfo(data)
}

func (c *client) AgentHostName(ctx context.Context, node string, vmid int64) (string, error) {
	data, err := c.get(ctx, PathAgentHostName, node, nodePath(node, fmt.Sprintf("/qemu/%d/agent/get-host-name", vmid)))
	if err != nil {
		return "", err
	}
	return guestnet.ParseAgentHostName(data)
}

func (c *client) NodeQemuFull(ctx context.Context, node string) ([]QemuStatus, error) {
	return getList[QemuStatus](ctx, c, PathNodeQemu, node, nodePath(node, "/qemu?full=1"))
}

func (c *client) NodeNetstat(ctx context.Context, node string) ([]NetstatEntry, error) {
	return getList[NetstatEntry](ctx, c, PathNodeNetstat, node, nodePath(node, "/netstat"))
}

func (c *client) SDNVNets(ctx context.Context) ([]SDNVNet, error) {
	return getList[SDNVNet](ctx, c, PathSDNVNets, "", "/cluster/sdn/vnets")
}

func (c *client) SDNZones(ctx context.Context) ([]SDNZone, error) {
	return getList[SDNZone](ctx, c, PathSDNZones, "", "/cluster/sdn/zones")
}

func (c *client) SDNIndex(ctx context.Context) error {
	_, err := c.get(ctx, PathSDN, "", "/cluster/sdn")
	return err
}

func (c *client) NotBackedUp(ctx context.Context) ([]NotBackedUp, error) {
	return getList[NotBackedUp](ctx, c, PathNotBackedUp, "", "/cluster/backup-info/not-backed-up")
}

func (c *client) NodeBackupTasks(ctx context.Context, node string, since int64, limit int) ([]Task, error) {
	q := url.Values{"typefilter": {"vzdump"}, "since": {strconv.FormatInt(since, 10)}, "limit": {strconv.Itoa(limit)}}
	return getList[Task](ctx, c, PathNodeTasks, node, nodePath(node, "/tasks?"+q.Encode()))
}

func (c *client) TaskLog(ctx context.Context, node, upid string, limit int) ([]TaskLogLine, error) {
	return getList[TaskLogLine](ctx, c, PathTaskLog, node, nodePath(node, "/tasks/"+url.PathEscape(upid)+"/log?limit="+strconv.Itoa(limit)))
}

func (c *client) NodeReplication(ctx context.Context, node string) ([]ReplicationJob, error) {
	return getList[ReplicationJob](ctx, c, PathNodeReplication, node, nodePath(node, "/replication"))
}

func (c *client) HAStatus(ctx context.Context) ([]HAStatusEntry, error) {
	return getList[HAStatusEntry](ctx, c, PathHAStatus, "", "/cluster/ha/status/current")
}

func (c *client) CephStatus(ctx context.Context) (CephStatus, error) {
	var st CephStatus
	err := c.getObject(ctx, PathCephStatus, "", "/cluster/ceph/status", &st)
	return st, err
}

func (c *client) NodeCertificates(ctx context.Context, node string) ([]Certificate, error) {
	return getList[Certificate](ctx, c, PathNodeCertificates, node, nodePath(node, "/certificates/info"))
}

func (c *client) NodeSubscription(ctx context.Context, node string) (Subscription, error) {
	var sub Subscription
	err := c.getObject(ctx, PathNodeSubscription, node, nodePath(node, "/subscription"), &sub)
	return sub, err
}
