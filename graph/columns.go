package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/amity/amity/internal/postgres"
)

// Column pruning (internal/postgres/columns.go): a query's reads fetch only the columns
// of the fields the document selects. The set is one per operation, the union over
// every selection of the document, so every object of a type that one request reads
// has every column any of its selections shows, whichever path reached it first: the
// request's loaders may share one object between two selections that differ. A field
// the tables below do not know reads every column of its type, so a new field is shown
// whole before anyone teaches them about it.

// columnsOfFields lists, per type whose rows the store prunes, the column groups each
// of its fields needs; a field needing none is listed with 0.
var columnsOfFields = map[string]map[string]postgres.Columns{
	"City": {
		"id": 0, "name": 0, "version": postgres.CityVersion, "population": postgres.CityPopulation,
		"location": postgres.CityLocation, "wikidataId": postgres.CityExternalIDs, "geonamesId": postgres.CityExternalIDs,
		"externalIds": postgres.CityExternalIDs, "country": postgres.CityCountry, "division": postgres.CityDivision,
		// Read by the city's id, in statements of their own.
		"names": 0, "partnerships": 0, "network": 0, "agreements": 0, "officials": 0, "institutions": 0,
		"reportedFigures": 0, "sources": 0, "statements": 0,
	},
	"Partnership": {
		"id": 0, "kind": 0, "version": postgres.PartnershipVersion, "since": postgres.PartnershipSince,
		"until": postgres.PartnershipUntil,
		// The partner is a City (its selection is the City's); the distance is computed
		// from both cities' locations.
		"partner": 0, "distanceKm": postgres.CityLocation,
		"agreement": postgres.PartnershipAgreement, "cities": 0, "sources": 0, "statements": 0,
	},
	"Agreement": {
		"id": 0, "title": 0, "kind": 0, "version": postgres.AgreementVersion, "signedOn": postgres.AgreementSignedOn,
		"summary": postgres.AgreementSummary, "signedIn": postgres.AgreementSignedIn,
		// addedSequence comes from the change feed, not the row.
		"areas": 0, "parties": 0, "signatories": 0, "institutions": 0, "partnerships": 0,
		"sources": 0, "statements": 0, "addedSequence": 0,
	},
	"Official": {
		"id": 0, "name": 0, "version": postgres.OfficialVersion, "title": postgres.OfficialTitle,
		"wikidataId": postgres.OfficialWikidata, "externalIds": postgres.OfficialWikidata,
		"city": postgres.OfficialCity, "names": 0, "agreements": 0, "sources": 0, "statements": 0,
	},
	// A city's country comes with the city's row.
	"Country": {
		"id": 0, "name": 0, "code": postgres.CountryCode, "wikidataId": postgres.CountryWikidata,
		"externalIds": postgres.CountryWikidata, "cities": 0,
	},
}

// columnsOfTypes are the groups of each pruned type, which a field the table does not
// know reads.
var columnsOfTypes = map[string]postgres.Columns{
	"City": postgres.CityColumns, "Partnership": postgres.PartnershipColumns,
	"Agreement": postgres.AgreementColumns, "Official": postgres.OfficialColumns,
	"Country": postgres.CountryColumns,
}

// cursorFields are the fields that show a page's cursors, on any type.
var cursorFields = fieldSet("cursor", "startCursor", "endCursor")

// shownColumns is the union of the column groups that the selections of doc need.
func shownColumns(doc *ast.QueryDocument, op *ast.OperationDefinition) postgres.Columns {
	var cols postgres.Columns
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				cols |= fieldColumns(s)
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if f := doc.Fragments.ForName(s.Name); f != nil {
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	return cols
}

// fieldColumns is what one selected field needs. A field of an interface or a union
// may be any of its types' fields, so it counts for each pruned type.
func fieldColumns(f *ast.Field) postgres.Columns {
	if cursorFields[f.Name] {
		return postgres.Cursors
	}
	if f.Name == "__typename" || f.ObjectDefinition == nil {
		return 0
	}
	if f.ObjectDefinition.IsAbstractType() {
		var cols postgres.Columns
		for t := range columnsOfTypes {
			cols |= typeFieldColumns(t, f.Name)
		}
		return cols
	}
	return typeFieldColumns(f.ObjectDefinition.Name, f.Name)
}

func typeFieldColumns(typ, field string) postgres.Columns {
	fields, pruned := columnsOfFields[typ]
	if !pruned {
		return 0
	}
	if cols, known := fields[field]; known {
		return cols
	}
	return columnsOfTypes[typ]
}

// pruneColumns has a query's reads fetch only the columns its document shows.
// Mutations and subscriptions read whole rows: a write checks what it reads.
func pruneColumns(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	return next(postgres.WithColumns(ctx, shownColumns(oc.Doc, oc.Operation)))
}
