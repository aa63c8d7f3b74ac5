// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package endpointrecord // import "github.com/mnm-net/otelcol-mnm/internal/endpointrecord"

import (
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeMAC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		// wantErr is a substring of the error; set exactly when want is empty.
		wantErr string
	}{
		// Accepted forms.
		{name: "colon upper", in: "BC:24:11:C3:C7:41", want: "BC:24:11:C3:C7:41"},
		{name: "colon lower", in: "bc:24:11:c3:c7:41", want: "BC:24:11:C3:C7:41"},
		{name: "dash mixed case", in: "bc-24-11-c3-C7-41", want: "BC:24:11:C3:C7:41"},
		{name: "dash upper", in: "BC-24-11-89-67-07", want: "BC:24:11:89:67:07"},
		{name: "cisco dotted", in: "bc24.1189.6707", want: "BC:24:11:89:67:07"},
		{name: "cisco dotted upper, padded", in: " BC24.11C3.C741 ", want: "BC:24:11:C3:C7:41"},
		{name: "cisco dotted lower, padded", in: " bc24.11c3.c741 ", want: "BC:24:11:C3:C7:41"},
		{name: "bare hex", in: "bc2411c3c741", want: "BC:24:11:C3:C7:41"},
		{name: "bare hex upper", in: "BC2411C3C741", want: "BC:24:11:C3:C7:41"},
		{name: "tab and newline around", in: "\tbc:24:11:c3:c7:41\n", want: "BC:24:11:C3:C7:41"},
		{name: "locally administered unicast", in: "2A:6F:10:00:00:04", want: "2A:6F:10:00:00:04"},
		{name: "first octet FE", in: "fe:ff:ff:ff:ff:ff", want: "FE:FF:FF:FF:FF:FF"},
		{name: "only last octet set", in: "00:00:00:00:00:01", want: "00:00:00:00:00:01"},

		// Group addresses: the low bit of the first octet is set.
		{name: "broadcast", in: "FF:FF:FF:FF:FF:FF", wantErr: `invalid MAC "FF:FF:FF:FF:FF:FF": group (multicast or broadcast) address`},
		{name: "broadcast lower padded", in: " ff:ff:ff:ff:ff:ff\n", wantErr: `invalid MAC " ff:ff:ff:ff:ff:ff\n": group (multicast or broadcast) address`},
		{name: "IPv4 multicast", in: "01:00:5E:00:00:01", wantErr: "group (multicast or broadcast) address"},
		{name: "IPv4 multicast mDNS lower", in: "01:00:5e:00:00:fb", wantErr: "group (multicast or broadcast) address"},
		{name: "IPv6 multicast", in: "33:33:00:00:00:01", wantErr: "group (multicast or broadcast) address"},
		{name: "multicast bare", in: "01005e000001", wantErr: "group (multicast or broadcast) address"},
		{name: "multicast dotted", in: "0100.5e00.0001", wantErr: "group (multicast or broadcast) address"},
		{name: "odd first octet 0D", in: "0d:24:11:c3:c7:41", wantErr: "group (multicast or broadcast) address"},

		// All zero.
		{name: "all zero", in: "00:00:00:00:00:00", wantErr: `invalid MAC "00:00:00:00:00:00": all zero`},
		{name: "all zero bare", in: "000000000000", wantErr: "all zero"},
		{name: "all zero dotted", in: "0000.0000.0000", wantErr: "all zero"},

		// Not 6 bytes.
		{name: "EUI-64", in: "00:11:22:33:44:55:66:77", wantErr: `invalid MAC "00:11:22:33:44:55:66:77": 8 bytes, want 6`},
		{name: "EUI-64 dotted", in: "0011.2233.4455.6677", wantErr: "8 bytes, want 6"},
		{name: "InfiniBand", in: "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", wantErr: "20 bytes, want 6"},
		{name: "five octets", in: "bc:24:11:c3:c7", wantErr: `invalid MAC "bc:24:11:c3:c7": not a MAC address`},
		{name: "seven octets", in: "bc:24:11:c3:c7:41:00", wantErr: "not a MAC address"},
		{name: "bare 11 digits", in: "bc2411c3c74", wantErr: "not a MAC address"},
		{name: "EUI-64 bare", in: "bc2411c3c7410000", wantErr: "8 bytes, want 6"},

		// Garbage.
		{name: "empty", in: "", wantErr: `invalid MAC "": empty`},
		{name: "blank", in: "  \t", wantErr: "empty"},
		{name: "mixed separators", in: "bc:24-11:c3:c7:41", wantErr: "not a MAC address"},
		{name: "non-hex digit", in: "bc:24:11:c3:c7:4g", wantErr: "not a MAC address"},
		{name: "non-hex bare", in: "bc2411c3c74g", wantErr: "not a MAC address"},
		{name: "misplaced separator", in: "b:c24:11:c3:c7:41", wantErr: "not a MAC address"},
		{name: "dot-separated octets", in: "bc.24.11.c3.c7.41", wantErr: "not a MAC address"},
		{name: "inner space", in: "bc:24:11 c3:c7:41", wantErr: "not a MAC address"},
		{name: "words", in: "not-a-mac", wantErr: `invalid MAC "not-a-mac": not a MAC address`},
		{name: "signs", in: "+c:24:11:c3:c7:41", wantErr: "not a MAC address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.want == "") == (tt.wantErr == "") {
				t.Fatalf("bad test case: set exactly one of want and wantErr")
			}
			got, err := NormalizeMAC(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("NormalizeMAC(%q) = %q, want an error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NormalizeMAC(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				if got != "" {
					t.Fatalf("NormalizeMAC(%q) = %q with an error, want \"\"", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeMAC(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeMAC(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// canonicalMAC is what NormalizeMAC returns: six upper-case octets, the first
// one even (individual address).
var canonicalMAC = regexp.MustCompile(`^[0-9A-F][02468ACE](:[0-9A-F]{2}){5}$`)

// FuzzNormalizeMAC: an accepted MAC is canonical, not all zero, and a fixed
// point of NormalizeMAC.
func FuzzNormalizeMAC(f *testing.F) {
	for _, s := range []string{
		"bc:24:11:c3:c7:41", "BC-24-11-C3-C7-41", "bc24.11c3.c741", "bc2411c3c741", " 2a:6f:10:00:00:04\n",
		"FF:FF:FF:FF:FF:FF", "01:00:5e:00:00:01", "00:00:00:00:00:00", "00:11:22:33:44:55:66:77", "", "zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		mac, err := NormalizeMAC(raw)
		if err != nil {
			if mac != "" {
				t.Fatalf("NormalizeMAC(%q) = %q with error %v", raw, mac, err)
			}
			if !strings.HasPrefix(err.Error(), "invalid MAC ") {
				t.Fatalf("NormalizeMAC(%q) error %q does not start with `invalid MAC `", raw, err)
			}
			return
		}
		if !canonicalMAC.MatchString(mac) || mac == "00:00:00:00:00:00" {
			t.Fatalf("NormalizeMAC(%q) = %q, not a canonical individual MAC", raw, mac)
		}
		again, err := NormalizeMAC(mac)
		if err != nil || again != mac {
			t.Fatalf("NormalizeMAC(%q) = %q, %v; want the same MAC back", mac, again, err)
		}
	})
}
