package graph

import (
	"encoding/json"

	"github.com/amity/amity/internal/knowledge"
	"github.com/amity/amity/internal/postgres"
	"github.com/amity/amity/internal/postgres/readcache"
)

// Top-level lists are read through the read cache (loader.Cached), keyed by their whole
// query and page, and depend on every entity of the kind they list: any change of that
// kind may move an item in or out of them.

// anyAgreement: agreement lists filter on the agreement's own fields, its parties and
// its signatories, all written (and announced) with the agreement.
var anyAgreement = []readcache.Dep{readcache.Kind(postgres.ChangeAgreement)}

// listKey names a list read: its query and its page.
func listKey(q any, pa knowledge.PageArgs) string {
	b, err := json.Marshal(struct {
		Q any
		P knowledge.PageArgs
	}{q, pa})
	if err != nil {
		panic("listKey: " + err.Error()) // queries are plain values: a wiring bug
	}
	return string(b)
}
