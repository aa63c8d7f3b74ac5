// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package controllersim // import "github.com/mnm-net/otelcol-mnm/internal/controllersim"

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Routes served by the Controller.
const (
	UpsertPath    = "/api/endpoints/upsert"
	EndpointsPath = "/_sim/endpoints"
	StatsPath     = "/_sim/stats"
	FaultPath     = "/_sim/fault"
)

// maxBodyBytes mirrors a controller's request size limit (413 above it).
const maxBodyBytes = 8 << 20

// Config configures a Controller.
type Config struct {
	// Secret is the shared secret of the mnm_token cookie. Empty disables the
	// cookie check (every request is accepted as authenticated).
	Secret string
	// TokenTTL defaults to DefaultTokenTTL.
	TokenTTL time.Duration
	// Now defaults to time.Now; tests use it to expire tokens.
	Now func() time.Time
	// OnUpsert, if set, is called after each accepted upsert request.
	OnUpsert func(Summary)
	// OnReject, if set, is called for each upsert request answered with an
	// error status (including faults).
	OnReject func(status int, detail string)
	// MaxEndpoints, if positive, answers 413 to a request with more
	// endpoints, like a controller or proxy with a request size limit.
	MaxEndpoints int
	// MaxHostnameLength, if positive, answers 500 to a request holding an
	// endpoint whose hostname is longer, like a controller whose database
	// column is too short (Django's DataError is an unhandled 500). Nothing
	// of such a request is stored: the request is one transaction.
	MaxHostnameLength int
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
	c.mux.HandleFunc("GET "+EndpointsPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, c.Endpoints())
	})
	c.mux.HandleFunc("GET "+StatsPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, c.Stats())
	})
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

// Endpoints returns the store, sorted by key.
func (c *Controller) Endpoints() []StoredEndpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store.list()
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
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		c.reject(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if c.cfg.Secret != "" {
		cookie, err := r.Cookie(CookieName)
		if err != nil {
			c.reject(w, http.StatusUnauthorized, "missing mnm_token cookie")
			return
		}
		if err := verifyToken(c.cfg.Secret, cookie.Value, c.cfg.Now(), c.cfg.TokenTTL); err != nil {
			c.reject(w, http.StatusUnauthorized, err.Error())
			return
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		c.reject(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, status, err := readBody(w, r)
	if err != nil {
		c.reject(w, status, err.Error())
		return
	}
	req, err := decodeRequest(body)
	if err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, errBadJSON) {
			status = http.StatusBadRequest
		}
		c.reject(w, status, err.Error())
		return
	}

	if c.cfg.MaxEndpoints > 0 && len(req.Endpoints) > c.cfg.MaxEndpoints {
		c.reject(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("too many endpoints in one request: %d, at most %d: send smaller batches", len(req.Endpoints), c.cfg.MaxEndpoints))
		return
	}
	if detail, ok := c.storeError(req); ok {
		c.mu.Lock()
		c.stats.ServerErrors++
		c.mu.Unlock()
		if c.cfg.OnReject != nil {
			c.cfg.OnReject(http.StatusInternalServerError, detail)
		}
		writeDetail(w, http.StatusInternalServerError, detail)
		return
	}

	resp, summary := c.apply(req)
	writeJSON(w, http.StatusOK, resp)
	if c.cfg.OnUpsert != nil {
		c.cfg.OnUpsert(summary)
	}
}

// storeError reports why the store cannot hold an endpoint of req, if it
// cannot.
func (c *Controller) storeError(req *UpsertRequest) (string, bool) {
	if c.cfg.MaxHostnameLength <= 0 {
		return "", false
	}
	for i, ep := range req.Endpoints {
		if n := utf8.RuneCountInString(ep.Hostname); n > c.cfg.MaxHostnameLength {
			return fmt.Sprintf("value too long for type character varying(%d) (endpoints[%d].hostname of %s has %d characters)",
				c.cfg.MaxHostnameLength, i, ep.MAC, n), true
		}
	}
	return "", false
}

// takeFault returns the fault to serve for this request, if any. c.mu is held.
func (c *Controller) takeFault() (Fault, bool) {
	f := c.fault
	if !f.active() {
		return Fault{}, false
	}
	if f.Times > 0 {
		c.fault.Times--
		if c.fault.Times == 0 {
			c.fault = Fault{}
		}
	}
	c.stats.Faulted++
	return f, true
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

func (c *Controller) reject(w http.ResponseWriter, status int, detail string) {
	c.mu.Lock()
	if status == http.StatusUnauthorized {
		c.stats.Unauthorized++
	} else {
		c.stats.Invalid++
	}
	c.mu.Unlock()
	if c.cfg.OnReject != nil {
		c.cfg.OnReject(status, detail)
	}
	writeDetail(w, status, detail)
}

// apply upserts every endpoint, once each, as the real route calls
// upsert_endpoint(record, source=..., change_source=...).
func (c *Controller) apply(req *UpsertRequest) (UpsertResponse, Summary) {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp := UpsertResponse{Results: make([]Result, 0, len(req.Endpoints))}
	sum := Summary{Source: req.Source, ChangeSource: req.ChangeSource, Endpoints: len(req.Endpoints)}
	for _, ep := range req.Endpoints {
		res := c.store.upsert(ep, req.Source, req.ChangeSource)
		resp.Results = append(resp.Results, res)
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
	c.stats.Accepted++
	c.stats.Endpoints += int64(sum.Endpoints)
	c.stats.New += int64(sum.New)
	c.stats.Updated += int64(sum.Updated)
	c.stats.Unchanged += int64(sum.Unchanged)
	c.stats.Skipped += int64(sum.Skipped)
	c.requests = append(c.requests, *req)
	return resp, sum
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
