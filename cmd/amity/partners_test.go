package main

import (
	"fmt"
	"testing"
)

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"", "[]", false},
		{"10.0.0.0/8", "[10.0.0.0/8]", false},
		{" 10.1.2.3/8 , 192.0.2.1 ", "[10.0.0.0/8 192.0.2.1/32]", false},
		{"2001:db8::/32,::ffff:192.0.2.1", "[2001:db8::/32 192.0.2.1/32]", false},
		{"10.0.0.0/8,proxy.internal", "", true},
		{"10.0.0.0/33", "", true},
	}
	for _, tt := range tests {
		got, err := parsePrefixes(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parsePrefixes(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("parsePrefixes(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
