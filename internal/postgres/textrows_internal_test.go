package postgres

import (
	"errors"
	"testing"
)

// Every column a nested list of cities or officials may carry is one its row type
// takes from text: a column added to cityColumnList or officialColumnList alone fails
// here, not in a query that happens to show it.
func TestNestedColumnsAreKnown(t *testing.T) {
	for _, c := range cityColumnList(AllColumns, "c", "k", true) {
		var r cityCore
		if err := r.setText(c.name, nil); errors.Is(err, errUnknownColumn) {
			t.Errorf("cityCore.setText: %v", err)
		}
	}
	for _, c := range officialColumnList(AllColumns, "o", true) {
		var r officialCore
		if err := r.setText(c.name, nil); errors.Is(err, errUnknownColumn) {
			t.Errorf("officialCore.setText: %v", err)
		}
	}
}
