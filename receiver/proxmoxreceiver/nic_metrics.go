// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// nicTrafficEnabled reports whether any per-NIC traffic metric is on: the
// per-node /netstat request is made only then.
func (rec *metricsRecorder) nicTrafficEnabled() bool {
	m := *rec.metrics
	return m.MnmProxmoxVMNicNetin.Enabled || m.MnmProxmoxVMNicNetout.Enabled ||
		m.MnmProxmoxCtNicNetin.Enabled || m.MnmProxmoxCtNicNetout.Enabled
}

// recordNICTraffic records each guest NIC's counters from its node's
// /netstat. An entry whose VMID /cluster/resources does not list (a device
// left over while the guest is being destroyed or migrated) is left out:
// nothing names it.
func (rec *metricsRecorder) recordNICTraffic(now pcommon.Timestamp, resources []pveapi.ClusterResource, nodes []*nodeData) {
	guests := make(map[string]*pveapi.ClusterResource) // node/vmid → guest
	for i := range resources {
		if r := &resources[i]; (r.Type == "qemu" || r.Type == "lxc") && r.VMID.Valid {
			guests[r.Node+"/"+strconv.FormatInt(r.VMID.Value, 10)] = r
		}
	}
	for _, nd := range nodes {
		for _, e := range nd.netstat {
			if !e.VMID.Valid || e.Dev == "" {
				continue
			}
			vmid := strconv.FormatInt(e.VMID.Value, 10)
			g, ok := guests[nd.name+"/"+vmid]
			if !ok {
				continue
			}
			name, nic := guestLabelName(g), string(e.Dev)
			in, out := rec.mb.RecordMnmProxmoxVMNicNetinDataPoint, rec.mb.RecordMnmProxmoxVMNicNetoutDataPoint
			if g.Type == "lxc" {
				in, out = rec.mb.RecordMnmProxmoxCtNicNetinDataPoint, rec.mb.RecordMnmProxmoxCtNicNetoutDataPoint
			}
			if e.In.Valid {
				in(now, e.In.Value, nd.name, vmid, name, nic)
			}
			if e.Out.Valid {
				out(now, e.Out.Value, nd.name, vmid, name, nic)
			}
		}
	}
}

// recordNICInfo records one mnm.proxmox.guest.nic.info per NIC of the
// latest inventory cycle; nothing before the first one.
func (rec *metricsRecorder) recordNICInfo(now pcommon.Timestamp) {
	nics, ok := rec.latest.latestNICs()
	if !ok {
		return
	}
	for _, n := range nics {
		rec.mb.RecordMnmProxmoxGuestNicInfoDataPoint(now, 1, n.node, n.vmid, n.nic, n.mac, n.bridge, strconv.Itoa(n.vlan), n.model, strconv.FormatBool(n.linkDown))
	}
}
