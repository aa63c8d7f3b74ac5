// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package config // import "github.com/mnm-net/otelcol-mnm/config"

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// ParseRules reads and validates the Prometheus rule file at path the way
// Prometheus does when it loads it (unknown fields are errors, every
// expression and template must parse).
func ParseRules(path string) (*rulefmt.RuleGroups, error) {
	groups, errs := rulefmt.ParseFile(path, false, model.UTF8Validation,
		parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, fmt.Errorf("parsing rule file %q: %w", path, errors.Join(errs...))
	}
	return groups, nil
}

// AlertNames returns the names of the alerting rules in the rule file at path,
// in file order.
func AlertNames(path string) ([]string, error) {
	groups, err := ParseRules(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				names = append(names, r.Alert)
			}
		}
	}
	return names, nil
}

// AlertExpr returns the expression of the alerting rule name in the rule
// file at path.
func AlertExpr(path, name string) (string, error) {
	groups, err := ParseRules(path)
	if err != nil {
		return "", err
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == name {
				return r.Expr, nil
			}
		}
	}
	return "", fmt.Errorf("no alert %q in %s", name, path)
}
