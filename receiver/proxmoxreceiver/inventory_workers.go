// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"sync"
	"sync/atomic"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
)

// forEachGuestByNode calls collect with the index of every guest, from
// `workers` goroutines per node that take that node's guests in order. A
// goroutine per guest held one stack per guest while they queued for their
// node's few request slots (26 MB of stacks at 10,000 guests); a node that
// hangs holds only its own workers, never another node's guests.
func forEachGuestByNode(guests []*pveapi.ClusterResource, workers int, collect func(i int)) {
	byNode := map[string][]int{}
	for i, g := range guests {
		byNode[g.Node] = append(byNode[g.Node], i)
	}
	var wg sync.WaitGroup
	for _, queue := range byNode {
		var next atomic.Int64
		for range min(workers, len(queue)) {
			wg.Go(func() {
				for k := next.Add(1) - 1; k < int64(len(queue)); k = next.Add(1) - 1 {
					collect(queue[k])
				}
			})
		}
	}
	wg.Wait()
}
