package guestnet

import (
	"fmt"
	"net"
	"strings"
)

// NormalizeMAC returns s as an upper-case, colon-separated 6-byte MAC ("AA:BB:CC:DD:EE:FF"), the form the MNM
// endpoint store uses. Config MACs are usually upper-case and agent MACs lower-case, so every comparison goes
// through here. The all-zero MAC (loopback in agent output) is rejected because it identifies nothing.
func NormalizeMAC(s string) (string, error) {
	hw, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("invalid MAC %q", s)
	}
	if len(hw) != 6 {
		return "", fmt.Errorf("invalid MAC %q: %d bytes, want 6", s, len(hw))
	}
	allZero := true
	for _, b := range hw {
		if b != 0 {
			allZero = false
			break
		}
	}
	if allZero {
		return "", fmt.Errorf("invalid MAC %q: all zero", s)
	}
	return strings.ToUpper(hw.String()), nil
}
