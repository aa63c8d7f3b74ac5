// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// item is one element of a PVE property string: "key=value", or a bare value (key "") that belongs to the
// format's default key.
type item struct {
	key, value string
}

// splitPropertyString follows pve-common's parse_property_string: split on ",", skip blank items, key is
// everything before the first "=". PVE refuses "=v" and "k=", so we do too.
func splitPropertyString(s string) ([]item, error) {
	var items []item
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, hasEq := strings.Cut(part, "=")
		switch {
		case !hasEq:
			items = append(items, item{value: part})
		case k == "":
			return nil, fmt.Errorf("missing key in item %q", part)
		case v == "":
			return nil, fmt.Errorf("missing value for key %q", k)
		default:
			items = append(items, item{key: k, value: v})
		}
	}
	return items, nil
}

// parseBool accepts what PVE's parse_boolean accepts.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "on", "yes", "true":
		return true, nil
	case "0", "off", "no", "false":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean (want 1|on|yes|true or 0|off|no|false)")
}

// PVE's JSONSchema check_type patterns for "integer" and "number".
var (
	integerRe = regexp.MustCompile(`^[+-]?\d+$`)
	numberRe  = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)
	// identRe is the pattern PVE uses for bridge and lxc interface names.
	identRe = regexp.MustCompile(`^[-_.\w]+$`)
	// qemuTrunksRe allows ranges, lxcTrunksRe does not.
	qemuTrunksRe = regexp.MustCompile(`^\d+(-\d+)?(;\d+(-\d+)?)*$`)
	lxcTrunksRe  = regexp.MustCompile(`^\d+(;\d+)*$`)
)

// parseIntRange parses a PVE integer and checks it against [lo, hi].
func parseIntRange(s string, lo, hi int) (int, error) {
	if !integerRe.MatchString(s) {
		return 0, fmt.Errorf("not an integer")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("out of range (want %d-%d)", lo, hi)
	}
	return n, nil
}

// checkNonNegativeInt validates keys we do not keep (queues): syntax and sign only, so that a future
// PVE raising the upper limit does not make us drop the NIC.
func checkNonNegativeInt(s string) error {
	if !integerRe.MatchString(s) {
		return fmt.Errorf("not an integer")
	}
	if strings.HasPrefix(s, "-") && strings.Trim(s, "-0") != "" {
		return fmt.Errorf("negative")
	}
	return nil
}

// checkNonNegativeNumber validates "rate" (MB/s, may be fractional).
func checkNonNegativeNumber(s string) error {
	if !numberRe.MatchString(s) {
		return fmt.Errorf("not a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number")
	}
	if f < 0 {
		return fmt.Errorf("negative")
	}
	return nil
}

// keySet tracks canonical keys to reject duplicates, which make PVE refuse the whole config.
type keySet map[string]struct{}

func (ks keySet) add(k string) error {
	if _, dup := ks[k]; dup {
		return fmt.Errorf("duplicate key %q", k)
	}
	ks[k] = struct{}{}
	return nil
}
