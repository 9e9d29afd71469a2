package knowledge

import (
	"slices"

	"github.com/google/uuid"
)

// The relationship rules between facts. Each write path checks them against the facts
// as they will be after the write, on creation and on every update, so that no
// sequence of writes reaches a state a single write could not. The store gathers the
// facts inside the write's transaction; the rules themselves need no database.

// RepresentsParty is the rule that an official signs an agreement for the city he
// represents, and that city is one of the agreement's parties. It reports, for each
// party the official signs for, whether moving him to city would break it: signsFor
// lists the parties he signs for (one per agreement).
func RepresentsParty(p *Problems, path []string, city uuid.UUID, signsFor []uuid.UUID) {
	for _, party := range signsFor {
		if party != city {
			p.Add(CodeConflict, path, "the official signs agreements for the city he represents; "+
				"he signs one for another city, so change or remove that signature first (updateAgreement signatories)")
			return
		}
	}
}

// AgreementJoinsPartners is the rule that the agreement a partnership stands on is one
// both of its cities are parties to. cities are the partnership's two cities, parties
// the agreement's.
func AgreementJoinsPartners(p *Problems, path []string, cities [2]uuid.UUID, parties []uuid.UUID) {
	in := func(c uuid.UUID) bool {
		for _, q := range parties {
			if q == c {
				return true
			}
		}
		return false
	}
	if !in(cities[0]) || !in(cities[1]) {
		p.Invalid(path, "the agreement is not between the partnership's two cities: both must be among its parties")
	}
}

// PartnersStayParties is the rule AgreementJoinsPartners seen from the agreement: new
// parties must still include both cities of every partnership that stands on it.
func PartnersStayParties(p *Problems, path []string, parties []uuid.UUID, partnerships [][2]uuid.UUID) {
	for _, cities := range partnerships {
		var q Problems
		AgreementJoinsPartners(&q, nil, cities, parties)
		if q.Any() {
			p.Add(CodeConflict, path, "a partnership stands on this agreement and one of its cities would no longer be a party: "+
				"keep both cities among the parties, or change the partnership's agreement first")
			return
		}
	}
}

// SignatoriesStayParties is the rule that every signatory signs for a party, seen from
// new parties given without signatories: the signatures kept must be for cities still
// among the parties.
func SignatoriesStayParties(p *Problems, path []string, parties []uuid.UUID, kept []SignatoryWrite) {
	in := make(map[uuid.UUID]bool, len(parties))
	for _, c := range parties {
		in[c] = true
	}
	for _, s := range kept {
		if !in[s.PartyID] {
			p.Add(CodeConflict, path, "an official signs this agreement for a city these parties leave out: "+
				"give the new signatories with the parties, or keep that city")
			return
		}
	}
}

// SignsForOwnCity is RepresentsParty seen from the agreement: a signatory's official
// (represents, nil for no city) must represent one of the parties, and sign for that
// one. path leads to the signatory.
func SignsForOwnCity(p *Problems, path []string, represents *uuid.UUID, party uuid.UUID, parties []uuid.UUID) {
	at := func(f string) []string { return append(append([]string{}, path...), f) }
	switch {
	case represents == nil || !slices.Contains(parties, *represents):
		p.Invalid(at("official"), "the official does not represent any of the agreement's parties")
	case *represents != party:
		p.Invalid(at("party"), "the official represents another of the parties and signs for that one")
	}
}

// CheckVersion is the rule of optimistic concurrency: an update or retraction names the
// version of the entity (what: "city") its writer read, and the stored entity must be
// at it (stored; found is false when there is none). It reports whether the write may
// go on.
func CheckVersion(p *Problems, what string, found bool, stored, read int) bool {
	switch {
	case !found:
		p.Add(CodeNotFound, Path("id"), "no %s has this id", what)
	case stored != read:
		p.Add(CodeStaleVersion, Path("version"),
			"the %s is at version %d, not %d: someone changed it since you read it; read it again and reapply your change",
			what, stored, read)
	default:
		return true
	}
	return false
}
