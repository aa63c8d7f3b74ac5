// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package controllersim is an in-memory stand-in for the MNM controller's
// endpoint upsert route (POST /api/endpoints/upsert, upsert contract v2), so
// that exporter tests, the end-to-end tests and demos need no real
// controller.
//
// The route checks the mnm_token cookie as MNM's main.py _verify_token and
// require_auth do (401 {"detail":"Not authenticated"}; a timestamp in the
// future is accepted), validates the whole request before storing anything
// (422 with a FastAPI-style detail list naming each field; 413 above 1000
// endpoints or Config.MaxEndpoints), then applies the endpoints in order to
// a store that follows MNM's endpoint_store.py upsert_endpoint: rows keyed
// (mac, switch, port, vlan) with an active flag; the VLAN upgrade that
// deletes the untagged row; deactivation of the MAC's other rows; actions
// new, updated, unchanged, skipped; events appeared, moved_port,
// moved_switch, ip_changed, hostname_changed; merges that never clear;
// last_seen always overwritten; first_seen from the payload on creation;
// the cross-row IP pass; a field-level change history. It answers
// {"results": [...]}, one result per endpoint.
//
// It can be told to fail: a Fault answers a status or closes the
// connection; Config.FailMAC or Fault.FailMAC makes the store raise on a
// MAC mid-request (the endpoints before it stay stored, the answer is 500);
// Config.NoUpsertRoute answers as stock MNM v1.0.1, which has no upsert
// route (405 with Allow: GET).
//
// Besides the upsert route it serves:
//
//	GET  /_sim/endpoints  every row, active and inactive, as JSON
//	GET  /_sim/events     the event log
//	GET  /_sim/changes    the change history
//	GET  /_sim/anomalies  get_anomalies' ip_conflicts and multi_location
//	GET  /_sim/stats      the counters
//	POST /_sim/fault      {"status":503,"retry_after":"1"}, {"down":true},
//	                      {"fail_mac":"BC:24:11:00:00:01","times":1} or {"clear":true}
package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"
