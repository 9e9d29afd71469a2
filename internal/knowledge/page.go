package knowledge

// MaxPageSize is the largest page a client may ask for.
const MaxPageSize = 100

// DefaultPageSize is the page size when a client names none.
const DefaultPageSize = 20

// PageArgs selects a page of an ordered list by Relay cursors: First items after After,
// or Last items before Before.
type PageArgs struct {
	First  *int
	After  *string
	Last   *int
	Before *string
}

// Limit returns how many items the page holds and whether it is taken from the end
// backwards. It refuses sizes outside 0..MaxPageSize and mixing both directions.
func (a PageArgs) Limit() (n int, backward bool, err error) {
	if a.First != nil && a.Last != nil {
		return 0, false, FieldErrorf("last", "give first or last, not both")
	}
	if a.Last != nil || (a.Before != nil && a.First == nil) {
		if a.After != nil {
			return 0, false, FieldErrorf("after", "after pages forwards; use it with first, not last")
		}
		n = DefaultPageSize
		if a.Last != nil {
			n = *a.Last
		}
		if err := checkSize("last", n); err != nil {
			return 0, false, err
		}
		return n, true, nil
	}
	if a.Before != nil {
		return 0, false, FieldErrorf("before", "before pages backwards; use it with last, not first")
	}
	n = DefaultPageSize
	if a.First != nil {
		n = *a.First
	}
	if err := checkSize("first", n); err != nil {
		return 0, false, err
	}
	return n, false, nil
}

func checkSize(field string, n int) error {
	if n < 0 || n > MaxPageSize {
		return FieldErrorf(field, "%s must be between 0 and %d, got %d", field, MaxPageSize, n)
	}
	return nil
}

// Page is one page of an ordered list, with a cursor per item.
type Page[T any] struct {
	Items           []*T
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
}
