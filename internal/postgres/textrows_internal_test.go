package postgres

import (
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
)

// Every column a nested list of parties or signatures may carry lands in a field of its
// row type: a column added to cityColumnList or officialColumnList without a field
// fails here, not in a query that happens to show it.
func TestNestedColumnsAreKnown(t *testing.T) {
	m := reflectx.NewMapperFunc("db", sqlx.NameMapper)
	for _, cols := range []Columns{0, CityColumns, AllColumns} {
		if _, err := newNestedList[nestedParty](m, nestedPartyColumns(cols)); err != nil {
			t.Errorf("a party's columns (%b): %v", cols, err)
		}
		for _, withCities := range []bool{false, true} {
			if _, err := newNestedList[nestedSignature](m, nestedSignatureColumns(cols, cols, withCities)); err != nil {
				t.Errorf("a signature's columns (%b, cities %v): %v", cols, withCities, err)
			}
		}
	}
}
