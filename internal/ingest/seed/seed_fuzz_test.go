package seed

import (
	"bytes"
	"testing"
)

// FuzzParseValidate feeds the knowledge bundle reader (the import format): Parse and
// Validate must never panic or hang, whatever the bytes.
func FuzzParseValidate(f *testing.F) {
	f.Add(ShippedBytes())
	f.Add([]byte("version: 1\n"))
	f.Add([]byte("countries:\n  - key: CN\n    name: China\n"))
	f.Add([]byte("cities: [{key: x, name: 1}]"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte{0xff, 0xfe, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 && !bytes.Equal(data, ShippedBytes()) {
			return
		}
		b, err := Parse(data)
		if err != nil {
			return
		}
		_ = b.Validate()
	})
}
