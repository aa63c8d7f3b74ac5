// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

// Package controllersim is an in-memory stand-in for the mnm controller's
// endpoint upsert route (POST /api/endpoints/upsert). It checks the mnm_token
// cookie, validates bodies, keeps an endpoint store that answers
// new/updated/unchanged/skipped, counts what it receives and can be told to
// fail, so that exporter tests and demos need no real controller. Like a real
// controller it can have limits (Config.MaxEndpoints: 413 for larger
// requests; Config.MaxHostnameLength: 500, and nothing stored, for a request
// holding a longer hostname), and it answers every accepted request with
// {"results": [...]}, one result per endpoint.
//
// Besides the upsert route it serves:
//
//	GET  /_sim/endpoints  the store as JSON
//	GET  /_sim/stats      the counters as JSON
//	POST /_sim/fault      {"status":503,"retry_after":"1"}, {"down":true} or {"clear":true}
package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"
