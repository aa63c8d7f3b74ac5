// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"encoding/json"
	"fmt"
)

// ParseLXCInterfaces decodes the data member of GET /nodes/{node}/lxc/{vmid}/interfaces (PVE >= 8.1), in
// both the 8.1-8.3 format ({name, hwaddr, inet, inet6}) and the >= 8.4 one (hardware-address, ip-addresses).
// A stopped container answers null: no interfaces and no error.
func ParseLXCInterfaces(data json.RawMessage) ([]InterfaceAddrs, error) {
	var list []guestIface
	if len(data) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("decode lxc interfaces: %w", err)
	}
	return toInterfaceAddrsList(list), nil
}
