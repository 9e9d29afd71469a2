package knowledge

import "github.com/google/uuid"

// CityMerge joins two records of one city: every fact of the merged city moves to the
// survivor, the merged city's row goes, and its id keeps answering with the survivor
// (docs/cities.md, "Merging cities"). Both versions are the ones the caller read, as
// in an update: a city changed since is STALE_VERSION.
type CityMerge struct {
	SurvivorID      uuid.UUID
	SurvivorVersion int
	MergedID        uuid.UUID
	MergedVersion   int
	// Reason is why the two are one city, for the audit log; optional.
	Reason *string
	// Sources justify the merge, optionally. The audit entries cite them, and so do
	// the statements that keep the merged city's differing values when the merged
	// city cites no source of its own.
	Sources SourceRefs
}

// Check records what is wrong with the merge, apart from what needs the database.
func (m *CityMerge) Check(p *Problems) {
	if m.SurvivorID == m.MergedID {
		p.Invalid(Path("merged"), "a city cannot be merged into itself")
	}
	p.Text(Path("reason"), m.Reason, false, ReasonText)
	if len(m.Sources.IDs)+len(m.Sources.New) > 0 {
		m.Sources.Check(p, Path("sources"))
	}
}

// CityMergeResult is what a merge did. Moved is nil when the call was a retry answered
// from the first call's record (Replayed), which keeps no counts.
type CityMergeResult struct {
	WriteResult
	Moved *CityMergeCounts
}

// CityMergeCounts counts what moved from the merged city to the survivor.
type CityMergeCounts struct {
	// Names the survivor gained: the merged city's other names and its own name,
	// leaving out those the survivor already had.
	Names int
	// Sources the survivor now cites that it did not before.
	Sources int
	// Statements about the merged city, now about the survivor.
	Statements int
	// Partnerships moved to the survivor, and those joined to a partnership the
	// survivor already had with the same partner and of the same kind.
	Partnerships       int
	JoinedPartnerships int
	// Agreements the merged city was a party to or signed in.
	Agreements   int
	Institutions int
	Officials    int
	Figures      int
	// Conflicts: values of the merged city that differed from the survivor's, kept as
	// statements about the survivor.
	Conflicts int
}
