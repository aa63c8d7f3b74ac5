// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Routes served by the Controller.
const (
	UpsertPath    = "/api/endpoints/upsert"
	EndpointsPath = "/_sim/endpoints"
	EventsPath    = "/_sim/events"
	ChangesPath   = "/_sim/changes"
	AnomaliesPath = "/_sim/anomalies"
	StatsPath     = "/_sim/stats"
	FaultPath     = "/_sim/fault"
)

// SimulatedStoreError is the exception class named in the 500 answer of a
// simulated store failure (Config.FailMAC, Fault.FailMAC).
const SimulatedStoreError = "OperationalError"

// maxBodyBytes mirrors a controller's request size limit (413 above it).
const maxBodyBytes = 8 << 20

// Config configures a Controller.
type Config struct {
	// Secret is the shared secret of the mnm_token cookie. Empty disables the
	// cookie check (every request is accepted as authenticated).
	Secret string
	// TokenTTL defaults to DefaultTokenTTL.
	TokenTTL time.Duration
	// Now defaults to time.Now. It checks tokens, stamps events and change
	// history, and stands in for a missing first_seen.
	Now func() time.Time
	// OnUpsert, if set, is called after each accepted upsert request.
	OnUpsert func(Summary)
	// OnReject, if set, is called for each upsert request answered with an
	// error status (including faults) with the answer's detail (a list of
	// validation errors as compact JSON; for 401 the reason follows "Not
	// authenticated" in parentheses, though the answer does not say it).
	OnReject func(status int, detail string)
	// MaxEndpoints, if positive and below MaxRequestEndpoints, answers 413 to
	// a request with more endpoints, like a controller or proxy with a lower
	// limit. Above MaxRequestEndpoints every controller answers 413.
	MaxEndpoints int
	// FailMAC, if set, makes the store raise when it reaches an endpoint
	// with this MAC (any case), as a database error would: the endpoints
	// before it in the request stay stored (each upsert_endpoint commits
	// its own session), the rest are not tried, and the answer is 500 with
	// a detail naming the endpoint.
	FailMAC string
	// NoUpsertRoute answers as stock MNM v1.0.1, which has no upsert route:
	// its GET /api/endpoints/{mac} matches the path, so a POST is answered
	// 405 {"detail":"Method Not Allowed"} with Allow: GET.
	NoUpsertRoute bool
}

// Controller is an http.Handler implementing the upsert route. It is safe
// for concurrent use.
type Controller struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	store    *store
	stats    Stats
	fault    Fault
	requests []UpsertRequest
}

// New returns a Controller with an empty store.
func New(cfg Config) *Controller {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Controller{cfg: cfg, store: newStore()}
	c.mux = http.NewServeMux()
	c.mux.HandleFunc(UpsertPath, c.handleUpsert)
	for path, get := range map[string]func() any{
		EndpointsPath: func() any { return c.Endpoints() },
		EventsPath:    func() any { return c.Events() },
		ChangesPath:   func() any { return c.Changes() },
		AnomaliesPath: func() any { return c.Anomalies() },
		StatsPath:     func() any { return c.Stats() },
	} {
		c.mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, get())
		})
	}
	c.mux.HandleFunc("POST "+FaultPath, c.handleFault)
	return c
}

// ServeHTTP implements http.Handler.
func (c *Controller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mux.ServeHTTP(w, r)
}

// SetFault makes the following upsert requests fail as f says.
func (c *Controller) SetFault(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.Clear = false
	c.fault = f
}

// ClearFault stops failing.
func (c *Controller) ClearFault() {
	c.SetFault(Fault{})
}

// Stats returns a snapshot of the counters.
func (c *Controller) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Endpoints returns every row of the store, active and inactive, sorted by
// key.
func (c *Controller) Endpoints() []StoredEndpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store.list()
}

// Events returns the event log in the order written.
func (c *Controller) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Event, len(c.store.events))
	for i, e := range c.store.events {
		e.Details = maps.Clone(e.Details)
		out[i] = e
	}
	return out
}

// Changes returns the change history in the order written.
func (c *Controller) Changes() []Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Change{}, c.store.changes...)
}

// Anomalies returns the ip_conflicts and multi_location categories of MNM's
// get_anomalies over the store.
func (c *Controller) Anomalies() Anomalies {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store.anomalies()
}

// Requests returns the accepted upsert requests in arrival order.
func (c *Controller) Requests() []UpsertRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.requests)
}

func (c *Controller) handleFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeDetail(w, http.StatusBadRequest, fmt.Sprintf("invalid fault: %v", err))
		return
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		writeDetail(w, http.StatusUnprocessableEntity, "status must be an HTTP error code (400-599)")
		return
	}
	if f.FailMAC != "" && !macPattern.MatchString(strings.ToUpper(f.FailMAC)) {
		writeDetail(w, http.StatusUnprocessableEntity, "fail_mac must be a colon-separated MAC address")
		return
	}
	if f.Times < 0 {
		writeDetail(w, http.StatusUnprocessableEntity, "times must not be negative")
		return
	}
	if f.Clear {
		c.ClearFault()
	} else {
		c.SetFault(f)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *Controller) handleUpsert(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.stats.Requests++
	fault, faulted := c.takeFault()
	c.mu.Unlock()

	if faulted {
		c.serveFault(w, fault)
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		// main.py: GET /api/endpoints/{mac} takes the path, with mac
		// "upsert": require_auth, then no such endpoint.
		if c.authenticated(w, r) {
			c.reject(w, http.StatusNotFound, "Endpoint not found", "")
		}
		return
	}
	if c.cfg.NoUpsertRoute {
		// Stock MNM v1.0.1: only GET /api/endpoints/{mac} matches the path;
		// the 405 comes before any dependency, so before require_auth.
		w.Header().Set("Allow", http.MethodGet)
		c.reject(w, http.StatusMethodNotAllowed, "Method Not Allowed", "")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		c.reject(w, http.StatusMethodNotAllowed, "Method Not Allowed", "")
		return
	}
	if !c.authenticated(w, r) {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		c.reject(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json", "")
		return
	}
	body, status, err := readBody(w, r)
	if err != nil {
		c.reject(w, status, err.Error(), "")
		return
	}
	limit := MaxRequestEndpoints
	if c.cfg.MaxEndpoints > 0 && c.cfg.MaxEndpoints < limit {
		limit = c.cfg.MaxEndpoints
	}
	req, rerr := decodeRequest(body, limit)
	if rerr != nil {
		c.reject(w, rerr.status, rerr.detail, "")
		return
	}
	c.apply(w, req)
}

// authenticated checks the mnm_token cookie as main.py require_auth does,
// answering 401 {"detail":"Not authenticated"} when it fails.
func (c *Controller) authenticated(w http.ResponseWriter, r *http.Request) bool {
	if c.cfg.Secret == "" {
		return true
	}
	reason := "missing mnm_token cookie"
	if cookie, err := r.Cookie(CookieName); err == nil && cookie.Value != "" {
		err := verifyToken(c.cfg.Secret, cookie.Value, c.cfg.Now(), c.cfg.TokenTTL)
		if err == nil {
			return true
		}
		reason = err.Error()
	}
	c.reject(w, http.StatusUnauthorized, NotAuthenticated, reason)
	return false
}

// takeFault returns the fault to serve instead of the route, if any. c.mu
// is held.
func (c *Controller) takeFault() (Fault, bool) {
	f := c.fault
	if !f.failsRequest() {
		return Fault{}, false
	}
	c.countFault()
	return f, true
}

// countFault counts one failure of the current fault. c.mu is held.
func (c *Controller) countFault() {
	if c.fault.Times > 0 {
		c.fault.Times--
		if c.fault.Times == 0 {
			c.fault = Fault{}
		}
	}
	c.stats.Faulted++
}

func (c *Controller) serveFault(w http.ResponseWriter, f Fault) {
	if f.Down {
		if c.cfg.OnReject != nil {
			c.cfg.OnReject(0, "connection closed (fault: down)")
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		// Makes the server abort the connection without logging.
		panic(http.ErrAbortHandler)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	detail := fmt.Sprintf("simulated failure (HTTP %d)", f.Status)
	if c.cfg.OnReject != nil {
		c.cfg.OnReject(f.Status, detail)
	}
	writeDetail(w, f.Status, detail)
}

// reject answers status with {"detail": detail}; note, if any, is added to
// what OnReject gets.
func (c *Controller) reject(w http.ResponseWriter, status int, detail any, note string) {
	c.mu.Lock()
	if status == http.StatusUnauthorized {
		c.stats.Unauthorized++
	} else {
		c.stats.Invalid++
	}
	c.mu.Unlock()
	if c.cfg.OnReject != nil {
		text, ok := detail.(string)
		if !ok {
			b, _ := json.Marshal(detail)
			text = string(b)
		}
		if note != "" {
			text += " (" + note + ")"
		}
		c.cfg.OnReject(status, text)
	}
	writeJSON(w, status, map[string]any{"detail": detail})
}

// failsOn reports whether the store is to raise on an endpoint with mac,
// and whether a Fault (not Config.FailMAC) says so. c.mu is held.
func (c *Controller) failsOn(mac string) (fails, byFault bool) {
	if c.fault.FailMAC != "" && strings.EqualFold(c.fault.FailMAC, mac) {
		return true, true
	}
	return c.cfg.FailMAC != "" && strings.EqualFold(c.cfg.FailMAC, mac), false
}

// apply upserts every endpoint in order, as the route calls
// upsert_endpoint(record, source=..., change_source=...) once per endpoint,
// each committing on its own: a store failure on endpoint k keeps
// endpoints 0..k-1 and answers 500.
func (c *Controller) apply(w http.ResponseWriter, req *UpsertRequest) {
	c.mu.Lock()
	now := c.cfg.Now()
	resp := UpsertResponse{Results: make([]Result, 0, len(req.Endpoints))}
	sum := Summary{Source: req.Source, ChangeSource: req.ChangeSource}
	failed := -1
	for i, ep := range req.Endpoints {
		if fails, byFault := c.failsOn(ep.MAC); fails {
			failed = i
			if byFault {
				c.countFault()
			}
			break
		}
		res := c.store.upsert(ep, req.Source, req.ChangeSource, now)
		resp.Results = append(resp.Results, res)
		sum.Endpoints++
		switch res.Action {
		case ActionNew:
			sum.New++
		case ActionUpdated:
			sum.Updated++
		case ActionUnchanged:
			sum.Unchanged++
		case ActionSkipped:
			sum.Skipped++
		}
	}
	c.stats.Endpoints += int64(sum.Endpoints)
	c.stats.New += int64(sum.New)
	c.stats.Updated += int64(sum.Updated)
	c.stats.Unchanged += int64(sum.Unchanged)
	c.stats.Skipped += int64(sum.Skipped)
	if failed >= 0 {
		c.stats.ServerErrors++
		c.mu.Unlock()
		detail := storeFailure(failed, req.Endpoints[failed].MAC)
		if c.cfg.OnReject != nil {
			c.cfg.OnReject(http.StatusInternalServerError, detail)
		}
		writeDetail(w, http.StatusInternalServerError, detail)
		return
	}
	c.stats.Accepted++
	c.requests = append(c.requests, *req)
	c.mu.Unlock()

	writeJSON(w, http.StatusOK, resp)
	if c.cfg.OnUpsert != nil {
		c.cfg.OnUpsert(sum)
	}
}

// storeFailure is the contract's 500 detail for a store failure on
// endpoints[k]: no stack trace, no secret.
func storeFailure(k int, mac string) string {
	stored := "no endpoint was stored"
	if k > 0 {
		stored = fmt.Sprintf("endpoints[0..%d] were stored, the rest were not", k-1)
	}
	return fmt.Sprintf("store failed on endpoints[%d] (MAC %s): %s; %s", k, mac, SimulatedStoreError, stored)
}

// readBody reads the (possibly gzip-compressed) body within maxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	var reader io.Reader = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(reader)
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("invalid gzip body: %w", err)
		}
		defer gz.Close()
		reader = io.LimitReader(gz, maxBodyBytes+1)
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("unsupported Content-Encoding %q (use gzip or none)", enc)
	}
	body, err := io.ReadAll(reader)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || len(body) > maxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body larger than %d bytes: send smaller batches", maxBodyBytes)
	}
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("reading the body: %w", err)
	}
	return body, 0, nil
}

func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
