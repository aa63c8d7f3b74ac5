// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package config // import "github.com/mnm-net/otelcol-mnm/config"

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Query is one PromQL expression of a dashboard panel.
type Query struct {
	// PanelID is the panel's id in the dashboard JSON.
	PanelID int
	// Title is the panel's title.
	Title string
	// Row is the title of the row the panel is in, whether the row is expanded
	// (the panel follows it) or collapsed (the panel is inside it); empty above
	// the first row.
	Row string
	// RefID is the target's refId (A, B, ...) within the panel.
	RefID string
	// Expr is the target's expression with the dashboard variables replaced by
	// the values ExpandVariables uses, so Prometheus can run it as is.
	Expr string
}

// variableValues are the values an end-to-end test substitutes for Grafana's
// variables: every node, and windows that hold at least two samples at the
// default 60s scrape interval. Longer names come first so that $__interval
// never matches inside $__interval_ms or ${__interval}.
var variableValues = strings.NewReplacer(
	"${__rate_interval}", "2m",
	"$__rate_interval", "2m",
	"${__interval}", "1m",
	"$__interval", "1m",
	"${__range}", "5m",
	"$__range", "5m",
	"${node}", ".*",
	"$node", ".*",
)

// ExpandVariables replaces the dashboard variables in expr: $node becomes .*,
// $__rate_interval 2m, $__interval 1m and $__range 5m.
func ExpandVariables(expr string) string {
	return variableValues.Replace(expr)
}

// dashboardPanel is the part of a Grafana panel the queries need. An expanded
// row is followed by its panels; a collapsed row carries them in its own
// "panels" (Grafana moves them there when it collapses the row).
type dashboardPanel struct {
	ID      int              `json:"id"`
	Type    string           `json:"type"`
	Title   string           `json:"title"`
	Targets []dashboardQuery `json:"targets"`
	Panels  []dashboardPanel `json:"panels"`
}

type dashboardQuery struct {
	RefID string `json:"refId"`
	Expr  string `json:"expr"`
}

// DashboardQueries reads the Grafana dashboard JSON at path and returns every
// panel target's expression, in panel order, with ExpandVariables applied.
// Panels inside collapsed rows are included: a collapsed row still runs its
// queries as soon as someone expands it.
func DashboardQueries(path string) ([]Query, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading dashboard %q: %w", path, err)
	}
	var dashboard struct {
		Panels []dashboardPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dashboard); err != nil {
		return nil, fmt.Errorf("decoding dashboard %q: %w (it must be a Grafana dashboard JSON model)", path, err)
	}
	var queries []Query
	var row string
	var add func(p dashboardPanel) error
	add = func(p dashboardPanel) error {
		if p.Type == "row" {
			row = p.Title
		}
		for _, t := range p.Targets {
			if strings.TrimSpace(t.Expr) == "" {
				return fmt.Errorf("dashboard %q: panel %d %q target %q has no expr", path, p.ID, p.Title, t.RefID)
			}
			queries = append(queries, Query{PanelID: p.ID, Title: p.Title, Row: row, RefID: t.RefID, Expr: ExpandVariables(t.Expr)})
		}
		for _, nested := range p.Panels { // a collapsed row's panels
			if err := add(nested); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range dashboard.Panels {
		if err := add(p); err != nil {
			return nil, err
		}
	}
	if len(queries) == 0 {
		return nil, fmt.Errorf("dashboard %q has no panel with a query", path)
	}
	return queries, nil
}
