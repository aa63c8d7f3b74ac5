// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/internal/endpointrecord"
)

// recordRef locates a log record inside a plog.Logs.
type recordRef struct {
	resource, scope, record int
}

// entryState is where an entry stands in its export.
type entryState int

const (
	// statePending: not delivered yet; handed back on a retryable error.
	statePending entryState = iota
	// stateDelivered: the controller accepted it.
	stateDelivered
	// stateRejected: refused for good, counted and logged; never retried.
	stateRejected
)

// entry is one endpoint to send and the records merged into it.
type entry struct {
	endpoint endpoint
	// seen is the full-precision time of the record that endpoint comes
	// from; the newest record of a key wins.
	seen  time.Time
	refs  []recordRef
	state entryState
}

// batch is the content of one upsert request.
type batch struct {
	source       string
	changeSource string
	entries      []*entry
}

// request is the upsert of part, a slice of b's entries.
func (b *batch) request(part []*entry) upsertRequest {
	req := upsertRequest{Source: b.source, ChangeSource: b.changeSource, Endpoints: make([]endpoint, len(part))}
	for i, e := range part {
		req.Endpoints[i] = e.endpoint
	}
	return req
}

// droppedRecord is a record that cannot be sent.
type droppedRecord struct {
	ref    recordRef
	reason string
	mac    string
}

// planBatches maps every record and groups the endpoints per source, merging
// records with the same key: the newest record wins by its timestamp (see
// recordTime; on a tie the later one), at the position of the first. It then
// cuts each source's endpoints into batches of at most maxBatchSize.
func planBatches(ld plog.Logs, cfg *Config, now time.Time) ([]*batch, []droppedRecord) {
	type group struct {
		order []*entry
		byKey map[endpointKey]*entry
	}
	groups := map[string]*group{}
	var sources []string
	var dropped []droppedRecord

	rls := ld.ResourceLogs()
	for ri := 0; ri < rls.Len(); ri++ {
		sls := rls.At(ri).ScopeLogs()
		for si := 0; si < sls.Len(); si++ {
			lrs := sls.At(si).LogRecords()
			for li := 0; li < lrs.Len(); li++ {
				ref := recordRef{resource: ri, scope: si, record: li}
				lr := lrs.At(li)
				ep, source, reason := mapRecord(lr, cfg.Source, now)
				if reason != "" {
					dropped = append(dropped, droppedRecord{ref: ref, reason: reason, mac: stringAttr(lr.Attributes(), endpointrecord.AttrMAC)})
					continue
				}
				g, ok := groups[source]
				if !ok {
					g = &group{byKey: map[endpointKey]*entry{}}
					groups[source] = g
					sources = append(sources, source)
				}
				seen := recordTime(lr, now)
				if e, ok := g.byKey[ep.key()]; ok {
					// An older record never replaces a newer one, whatever
					// their order in the export (e.g. two snapshots merged
					// by a processor).
					if !seen.Before(e.seen) {
						e.endpoint, e.seen = ep, seen
					}
					e.refs = append(e.refs, ref)
					continue
				}
				e := &entry{endpoint: ep, seen: seen, refs: []recordRef{ref}}
				g.byKey[ep.key()] = e
				g.order = append(g.order, e)
			}
		}
	}

	var batches []*batch
	for _, source := range sources {
		changeSource := cfg.ChangeSource
		if changeSource == "" {
			changeSource = source
		}
		for chunk := range slices.Chunk(groups[source].order, cfg.MaxBatchSize) {
			batches = append(batches, &batch{source: source, changeSource: changeSource, entries: chunk})
		}
	}
	return batches, dropped
}

// selectRecords copies the referenced records, with their resource and scope,
// into a new plog.Logs in their original order.
func selectRecords(ld plog.Logs, refs []recordRef) plog.Logs {
	out := plog.NewLogs()
	refs = slices.Clone(refs)
	slices.SortFunc(refs, func(a, b recordRef) int {
		if a.resource != b.resource {
			return a.resource - b.resource
		}
		if a.scope != b.scope {
			return a.scope - b.scope
		}
		return a.record - b.record
	})
	refs = slices.Compact(refs)

	var rl plog.ResourceLogs
	var sl plog.ScopeLogs
	last := recordRef{resource: -1, scope: -1}
	for _, ref := range refs {
		srcRL := ld.ResourceLogs().At(ref.resource)
		if ref.resource != last.resource {
			rl = out.ResourceLogs().AppendEmpty()
			srcRL.Resource().CopyTo(rl.Resource())
			rl.SetSchemaUrl(srcRL.SchemaUrl())
			last.scope = -1
		}
		srcSL := srcRL.ScopeLogs().At(ref.scope)
		if ref.scope != last.scope {
			sl = rl.ScopeLogs().AppendEmpty()
			srcSL.Scope().CopyTo(sl.Scope())
			sl.SetSchemaUrl(srcSL.SchemaUrl())
		}
		srcSL.LogRecords().At(ref.record).CopyTo(sl.LogRecords().AppendEmpty())
		last = ref
	}
	return out
}
