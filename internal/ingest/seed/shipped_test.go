package seed

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amity/amity/internal/knowledge"
)

// The embedded file reads as an import file and passes the domain's rules.
func TestShippedIsValid(t *testing.T) {
	b, err := Shipped()
	if err != nil {
		t.Fatalf("Shipped: %v", err)
	}
	got := map[string]int{
		"sources": len(b.Sources), "countries": len(b.Countries), "cities": len(b.Cities), "officials": len(b.Officials),
		"agreements": len(b.Agreements), "partnerships": len(b.Partnerships), "institutions": len(b.Institutions),
		"figures": len(b.Figures), "statements": len(b.Statements),
	}
	want := map[string]int{
		"sources": 3, "countries": 2, "cities": 2, "officials": 2,
		"agreements": 1, "partnerships": 1, "institutions": 3, "figures": 4, "statements": 18,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shipped counts (-want +got):\n%s", diff)
	}
	if d := ShippedDigest(); len(d) != 64 || d != Digest(ShippedBytes()) {
		t.Errorf("ShippedDigest = %q, want the sha256 hex of the embedded file", d)
	}
}

// The shipped facts the product brief names must survive edits to the file.
func TestShippedFacts(t *testing.T) {
	b, err := Shipped()
	if err != nil {
		t.Fatalf("Shipped: %v", err)
	}
	key := func(k string) knowledge.Ref { return knowledge.Ref{Key: k} }
	a := b.Agreements[0]
	if a.SignedOn != "2024-03-06" || a.SignedIn == nil || *a.SignedIn != key("shenzhen") || a.Kind != "MEMORANDUM" {
		t.Errorf("agreement = %s on %s in %v, want MEMORANDUM on 2024-03-06 in shenzhen", a.Kind, a.SignedOn, a.SignedIn)
	}
	if len(a.Parties) != 2 || a.Parties[0] != key("shenzhen") || a.Parties[1] != key("moscow") {
		t.Errorf("parties = %v, want shenzhen and moscow", a.Parties)
	}
	for _, f := range b.Figures {
		if f.Source != key("bnn-2024-03-07") || f.AsOf != "2024-03-07" || f.City != key("shenzhen") {
			t.Errorf("figure %s: source %v as of %s for %v", f.Key, f.Source, f.AsOf, f.City)
		}
	}
	// Both spellings of the Moscow minister, each with the source that uses it.
	spellings := map[string]string{}
	for _, o := range b.Officials {
		if o.Key != "sergey-cheremin" {
			continue
		}
		for _, n := range o.Names {
			if n.Source != nil {
				spellings[n.Name] = n.Source.Key
			}
		}
	}
	if spellings["Sergey Cheremin"] != "bnn-2024-03-07" || spellings["Cheryomin"] != "fao-2024-03-07" {
		t.Errorf("the minister's spellings = %v, want Cheremin by the report and Cheryomin by the notice", spellings)
	}
	// Every statement key is unique, or two statements would share an id.
	seen := make(map[string]bool)
	for _, k := range b.StatementKeys() {
		if seen[k] {
			t.Errorf("duplicate statement key %q", k)
		}
		seen[k] = true
	}
}
