// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter // import "github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/mnm-net/otelcol-mnm/exporter/mnmendpointexporter/internal/metadata"
)

// Causes of a failed delivery, the `cause` attribute of delivery_failing.
const (
	causeUnreachable   = "unreachable"
	causeUnavailable   = "unavailable"
	causeServerError   = "server_error"
	causeRedirect      = "redirect"
	causeCredentials   = "credentials"
	causeNoUpsertRoute = "no_upsert_route"
	causeNotController = "not_controller"
	causeRefused       = "refused"
)

// proxyHint names the usual cause of an answer that is not the controller's.
const proxyHint = "a proxy or login page in front of the controller? point `endpoint` at the controller itself"

// noRouteFix says where the upsert route comes from: MNM's controller does
// not ship one, and v1.0.1 answers its POST with 405 because the path
// matches GET /api/endpoints/{mac} (controller/app/main.py).
const noRouteFix = "the controller has no upsert route (POST /api/endpoints/upsert): MNM's controller does not ship one. Add it from otelcol-mnm's integrations/mnm-controller (its README says how) and restart the controller, and check that `endpoint` is the controller's base URL"

// lastingCauses do not heal by retrying: an operator must act. Each is
// logged once with its fix, the others are the Collector's retry lines.
var lastingCauses = map[string]string{
	causeRedirect:      "something in front of the controller redirects the upsert; " + proxyHint,
	causeCredentials:   "check that `secret` matches the controller's NAUTOBOT_SECRET_KEY (or the configured `auth` / `headers`); the endpoints of each export are dropped until it does, and the next inventory snapshot after the fix restores them",
	causeNoUpsertRoute: noRouteFix,
	causeNotController: "a 2xx that is not the controller's JSON answer; " + proxyHint,
}

// deliveryCondition is what the exporter knows of the controller after each
// export: the delivery_failing and last_success gauges, and one log line
// when a lasting cause appears, changes or clears, instead of one per
// export.
type deliveryCondition struct {
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	// cause is the current failure cause, "" while deliveries succeed.
	cause string
	// logged is the lasting cause last logged, "" when none is.
	logged string
}

// started reports no success yet: the alert on last_success must see a
// Collector that never delivered.
func (d *deliveryCondition) started(ctx context.Context) {
	d.telemetry.ExporterMnmendpointLastSuccess.Record(ctx, 0)
}

// succeeded records an export whose requests the controller accepted.
func (d *deliveryCondition) succeeded(ctx context.Context, now time.Time) {
	d.telemetry.ExporterMnmendpointLastSuccess.Record(ctx, now.Unix())
	d.setCause(ctx, "")
	if d.logged != "" {
		d.logger.Info("controller accepts the endpoints again", zap.String("was", d.logged))
		d.logged = ""
	}
}

// failed records an export that delivered nothing because of cause.
func (d *deliveryCondition) failed(ctx context.Context, cause string, err error) {
	d.setCause(ctx, cause)
	fix, lasting := lastingCauses[cause]
	if !lasting || cause == d.logged {
		return
	}
	d.logged = cause
	d.logger.Warn("controller cannot take the endpoints, and retrying will not help until this is fixed",
		zap.String("cause", cause), zap.String("fix", fix), zap.Error(err))
}

func (d *deliveryCondition) setCause(ctx context.Context, cause string) {
	if cause == d.cause {
		return
	}
	if d.cause != "" {
		d.telemetry.ExporterMnmendpointDeliveryFailing.Record(ctx, 0, metric.WithAttributes(attribute.String("cause", d.cause)))
	}
	if cause != "" {
		d.telemetry.ExporterMnmendpointDeliveryFailing.Record(ctx, 1, metric.WithAttributes(attribute.String("cause", cause)))
	}
	d.cause = cause
}
