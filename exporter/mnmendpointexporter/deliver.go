// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadata"
)

// Reasons the controller's refusal of endpoints is counted under (the
// `reason` attribute of the endpoints_rejected metric).
const (
	// rejectCredentials: 401/403; every endpoint of the export not yet
	// delivered.
	rejectCredentials = "credentials"
	// rejectNoRoute: 404/405, the controller has no upsert route; every
	// endpoint of the batch.
	rejectNoRoute = "no_upsert_route"
	// rejectRequest: another refusal of the request itself (415, ...);
	// every endpoint of the batch.
	rejectRequest = "request_refused"
	// rejectTooLarge: 413 for a request holding this endpoint alone.
	rejectTooLarge = "too_large"
	// rejectInvalid: another 4xx for a request holding this endpoint alone.
	rejectInvalid = "invalid"
	// rejectServerError: a 5xx for a request holding this endpoint alone
	// while the controller accepted other requests of the same export.
	rejectServerError = "server_error"
)

// attrStatus is the attribute of endpoints_rejected carrying the HTTP status.
const attrStatus = "http.response.status_code"

// maxServerErrorRun is how many server errors (failServer) in a row, with no
// request accepted in between, make the exporter conclude that the
// controller is broken rather than one endpoint: the export stops and
// everything not yet delivered is retried. Both halves of a split are sent
// before either is split further, so one bad endpoint makes at most two
// errors in a row, and reaching the first single endpoint of a batch of a
// broken controller takes 1 + 2·⌈log2(max_batch_size)⌉ requests; the limit
// is just above that (20 for the default 500): a broken controller costs
// about 20 requests per attempt instead of 2·max_batch_size.
func maxServerErrorRun(maxBatchSize int) int {
	depth := 0
	if maxBatchSize > 1 {
		depth = bits.Len(uint(maxBatchSize - 1)) // ⌈log2(maxBatchSize)⌉
	}
	return 2*depth + 2
}

// exportRun delivers the batches of one export (one pushLogs call).
//
// A batch the controller refuses with 413, with a 4xx that concerns its
// endpoints, or with a server error (500, ...) is split in halves, each sent
// and split again if refused, down to single endpoints. A single endpoint
// refused with a 4xx is dropped. One refused with a server error is a
// suspect: it is dropped at the end of the export if the controller accepted
// at least one other request of the export (the controller works, this
// endpoint breaks it), and retried otherwise (the controller is broken).
//
// A retryable answer (connection error, 408, 429, 502-504, redirect, a 2xx
// that is not the controller's) stops the export: every endpoint not yet
// delivered, suspects included, goes back to the retry, nothing that was
// accepted is sent again. A 401/403 stops it too, for good.
type exportRun struct {
	d      *delivery
	ctx    context.Context
	maxRun int

	// accepted: the controller accepted a request of this export.
	accepted bool
	// run counts the server errors since the last accepted request.
	run      int
	suspects []suspect
	// lastServerErr is the latest server error, quoted when the controller
	// is deemed broken.
	lastServerErr error

	// stopErr is the retryable error that stopped the export.
	stopErr error
	// credentialsStatus is the 401/403 that stopped the export, or 0.
	credentialsStatus int
	// permanentErrs are the refusals of whole batches (401/403 included);
	// the endpoints dropped one by one are logged instead.
	permanentErrs []error
	// lastFailure is the latest failed request, for the delivery condition.
	lastFailure error
}

// suspect is a single endpoint answered with a server error.
type suspect struct {
	b      *batch
	entry  *entry
	status int
	err    error
}

// delivery is what every export's run works with: the configuration, the
// transport, the telemetry and the clock. The exporter holds it, and runs one
// export at a time, so a run may change it.
type delivery struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	transport *upsertClient
	now       func() time.Time
	// adviseBatchSizeDone: the advice to lower max_batch_size after a 413
	// was logged.
	adviseBatchSizeDone bool
}

func (d *delivery) newExportRun(ctx context.Context) *exportRun {
	return &exportRun{d: d, ctx: ctx, maxRun: maxServerErrorRun(d.cfg.MaxBatchSize)}
}

// recordResults counts the n endpoints of b the controller accepted by the
// action it reported; an endpoint without a result, or whose result has no
// action, is counted as "unknown".
func (d *delivery) recordResults(ctx context.Context, b *batch, n int, reply upsertReply) {
	counts := map[string]int64{}
	for _, r := range reply.response.Results {
		action := r.Action
		if action == "" {
			action = "unknown"
		}
		counts[action]++
	}
	if missing := int64(n - len(reply.response.Results)); missing > 0 {
		counts["unknown"] += missing
	}
	for action, n := range counts {
		d.telemetry.ExporterMnmendpointEndpointsUpserted.Add(ctx, n,
			metric.WithAttributes(attribute.String("action", action), attribute.String("source", b.source)))
	}
}

// deliver sends part, a slice of b's entries, splitting it if needed. It
// reports whether the export must stop.
func (x *exportRun) deliver(b *batch, part []*entry) bool {
	return x.handle(b, part, x.send(b, part))
}

// send posts part once and records an acceptance.
func (x *exportRun) send(b *batch, part []*entry) error {
	x.d.logger.Debug("sending endpoints to the controller",
		zap.String("url", x.d.transport.logURL), zap.String("source", b.source), zap.Int("endpoints", len(part)))
	reply, err := x.d.transport.upsert(x.ctx, b.request(part), x.d.now())
	if err != nil {
		x.lastFailure = err
		if kind, _ := kindOf(err); kind == failServer {
			x.run++
			x.lastServerErr = err
		}
		return err
	}
	x.accepted = true
	x.run = 0
	for _, en := range part {
		en.state = stateDelivered
	}
	x.d.recordResults(context.WithoutCancel(x.ctx), b, len(part), reply)
	return nil
}

// handle acts on the outcome err of sending part and reports whether the
// export must stop.
func (x *exportRun) handle(b *batch, part []*entry, err error) bool {
	if err == nil {
		return false
	}
	kind, status := kindOf(err)
	switch kind {
	case failRetry:
		x.stopErr = err
		return true
	case failCredentials:
		x.credentialsStatus = status
		x.permanentErrs = append(x.permanentErrs, err)
		return true
	case failRequest, failNoRoute:
		for _, en := range part {
			en.state = stateRejected
		}
		reason := rejectRequest
		if kind == failNoRoute {
			reason = rejectNoRoute
		}
		x.count(b.source, reason, status, len(part))
		x.permanentErrs = append(x.permanentErrs, err)
		// Debug only: the error is returned, and exporterhelper logs it.
		x.d.logger.Debug("controller rejected a batch of endpoints; it will not be retried",
			zap.String("source", b.source), zap.Int("endpoints", len(part)), zap.Error(err))
		return false
	case failRecords:
		if len(part) == 1 {
			reason := rejectInvalid
			if status == http.StatusRequestEntityTooLarge {
				reason = rejectTooLarge
			}
			x.drop(b, part[0], reason, status, err)
			return false
		}
	case failServer:
		if x.run >= x.maxRun {
			x.stopErr = x.brokenControllerError(err)
			return true
		}
		if len(part) == 1 {
			x.suspects = append(x.suspects, suspect{b: b, entry: part[0], status: status, err: err})
			return false
		}
	}
	return x.split(b, part, status, err)
}

// split sends both halves of part, then handles each. Both are sent before
// either is split further: the sibling's answer is the quickest evidence of
// whether the controller works at all.
func (x *exportRun) split(b *batch, part []*entry, status int, err error) bool {
	x.d.logger.Debug("controller refused a request; splitting it in halves to isolate the endpoints it refuses",
		zap.String("source", b.source), zap.Int("endpoints", len(part)), zap.Error(err))
	if status == http.StatusRequestEntityTooLarge && !x.d.adviseBatchSizeDone {
		x.d.adviseBatchSizeDone = true
		x.d.logger.Info("controller refused a request as too large (HTTP 413); it is sent again in smaller parts. Lower `max_batch_size` below this size to spare the extra requests",
			zap.Int("endpoints", len(part)), zap.Int("max_batch_size", x.d.cfg.MaxBatchSize))
	}
	mid := len(part) / 2
	halves := [2][]*entry{part[:mid], part[mid:]}
	var errs [2]error
	for i, h := range halves {
		errs[i] = x.send(b, h)
		if errs[i] == nil {
			continue
		}
		// Stop before sending the other half if the export must stop.
		if kind, _ := kindOf(errs[i]); kind == failRetry || kind == failCredentials || (kind == failServer && x.run >= x.maxRun) {
			return x.handle(b, h, errs[i])
		}
	}
	for i, h := range halves {
		if x.handle(b, h, errs[i]) {
			return true
		}
	}
	return false
}

func (x *exportRun) brokenControllerError(last error) error {
	return fmt.Errorf("the controller answered %d requests in a row with a server error and accepted none of them (last: %w); it looks broken rather than refusing one endpoint, so the endpoints not yet delivered will be retried", x.run, last)
}

// drop rejects one endpoint for good: counted, and logged once with the
// controller's message, since no returned error carries it.
func (x *exportRun) drop(b *batch, en *entry, reason string, status int, err error) {
	en.state = stateRejected
	x.count(b.source, reason, status, 1)
	ep := en.endpoint
	x.d.logger.Error("controller refused an endpoint; it is dropped and will not be retried",
		zap.String("mac", ep.MAC),
		zap.String("source", b.source),
		zap.String("hostname", ep.Hostname),
		zap.String("device_name", ep.DeviceName),
		zap.String("switch_port", ep.SwitchPort),
		zap.Int64("vlan", ep.VLAN),
		zap.String("reason", reason),
		zap.Int("status", status),
		zap.Error(err))
}

func (x *exportRun) count(source, reason string, status, n int) {
	if n == 0 {
		return
	}
	x.d.telemetry.ExporterMnmendpointEndpointsRejected.Add(context.WithoutCancel(x.ctx), int64(n), metric.WithAttributes(
		attribute.String("source", source), attribute.String("reason", reason), attribute.Int(attrStatus, status)))
}

// condition reports how the export went for the delivery condition: ok when
// the controller accepted a request and nothing stopped the export, else
// the cause of the failure that decided it.
func (x *exportRun) condition() (ok bool, cause string, err error) {
	switch {
	case x.credentialsStatus != 0:
		return false, causeCredentials, x.permanentErrs[len(x.permanentErrs)-1]
	case x.stopErr != nil:
		if x.lastFailure != nil {
			return false, causeOf(x.lastFailure), x.stopErr
		}
		return false, causeUnreachable, x.stopErr
	case x.accepted:
		return true, "", nil
	case x.lastFailure != nil:
		return false, causeOf(x.lastFailure), x.lastFailure
	default:
		return true, "", nil // nothing was sent
	}
}

// finish settles the suspects and builds pushLogs' result: nil when every
// endpoint was delivered or dropped one by one (each logged), the permanent
// refusals of whole batches, or a retryable consumererror.Logs holding only
// the records not yet delivered.
func (x *exportRun) finish(ld plog.Logs, batches []*batch) error {
	if x.credentialsStatus != 0 {
		for _, b := range batches {
			n := 0
			for _, en := range b.entries {
				if en.state == statePending {
					en.state = stateRejected
					n++
				}
			}
			x.count(b.source, rejectCredentials, x.credentialsStatus, n)
		}
		// A permanent error is preserved by errors.Join's Unwrap.
		return errors.Join(x.permanentErrs...)
	}
	if x.stopErr == nil && len(x.suspects) > 0 {
		if x.accepted {
			for _, s := range x.suspects {
				x.drop(s.b, s.entry, rejectServerError, s.status, s.err)
			}
		} else {
			x.stopErr = x.brokenControllerError(x.lastServerErr)
		}
	}
	if x.stopErr == nil {
		return errors.Join(x.permanentErrs...)
	}
	// Returning the batch refusals along would make the error permanent and
	// stop the retry: they are logged here instead.
	for _, err := range x.permanentErrs {
		x.d.logger.Error("controller rejected a batch of endpoints; it will not be retried", zap.Error(err))
	}
	var pending []recordRef
	for _, b := range batches {
		for _, en := range b.entries {
			if en.state == statePending {
				pending = append(pending, en.refs...)
			}
		}
	}
	return consumererror.NewLogs(x.stopErr, selectRecords(ld, pending))
}
