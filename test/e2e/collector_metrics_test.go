// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"fmt"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// exposition is one scrape of the collector's Prometheus exporter.
type exposition map[string]*dto.MetricFamily

func scrapeCollector(addr string) (exposition, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	return exposition(families), err
}

// value returns the value of the series of name whose labels include the
// given ones.
func (e exposition) value(name string, labels map[string]string) (float64, bool) {
	family, ok := e[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range family.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// waitForMetric waits until the collector exposes name (with labels) and
// check accepts its value.
func waitForMetric(t *testing.T, addr, name string, labels map[string]string, check func(float64) error) {
	t.Helper()
	eventually(t, 60e9, fmt.Sprintf("%s%v", name, labels), func() error {
		e, err := scrapeCollector(addr)
		if err != nil {
			return err
		}
		v, ok := e.value(name, labels)
		if !ok {
			return fmt.Errorf("not exposed")
		}
		return check(v)
	})
}

func present(float64) error { return nil }

func equals(want float64) func(float64) error {
	return func(v float64) error {
		if v != want {
			return fmt.Errorf("value %v, want %v", v, want)
		}
		return nil
	}
}
