package persisted

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/internal/edge/auth"
)

// List is an allow list of trusted documents: SHA-256 hash (hex) → document.
type List map[string]string

// NewList returns the list of the documents, each under its hash.
func NewList(documents ...string) List {
	l := List{}
	for _, d := range documents {
		l[Hash(d)] = d
	}
	return l
}

// ParseList reads a list in its JSON form, an object mapping each document's SHA-256
// (hex) to the document, and checks every hash.
func ParseList(b []byte) (List, error) {
	var l List
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("trusted documents: not a JSON object of sha256 → document: %w", err)
	}
	for hash, doc := range l {
		if Hash(doc) != hash {
			return nil, fmt.Errorf("trusted documents: %.16s… is not the SHA-256 of its document", hash)
		}
	}
	return l, nil
}

// LoadList reads a list from a JSON file.
func LoadList(path string) (List, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	return ParseList(b)
}

// JSON is the list's file form, hashes sorted, one entry a line.
func (l List) JSON() []byte {
	hashes := make([]string, 0, len(l))
	for h := range l {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	b := []byte("{\n")
	for i, h := range hashes {
		doc, _ := json.Marshal(l[h])
		b = fmt.Appendf(b, "  %q: %s", h, doc)
		if i < len(hashes)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, "}\n"...)
}

// Trusted is the handler extension of trusted-documents mode. It runs before APQ and
// before the query is parsed: a request runs only if its document is on the list, sent
// by hash (extensions.persistedQuery), in full, or both. Anything else is refused with
// PERSISTED_QUERY_NOT_ALLOWED or TRUSTED_DOCUMENT_REQUIRED and never executes.
type Trusted struct {
	List List
	// AnonymousOnly applies the list to requests without an API key only: partners with
	// a key may send any document (still bound by scopes and cost limits).
	AnonymousOnly bool
}

var _ interface {
	graphql.OperationParameterMutator
	graphql.HandlerExtension
} = Trusted{}

// ExtensionName implements graphql.HandlerExtension.
func (Trusted) ExtensionName() string { return "TrustedDocuments" }

// Validate implements graphql.HandlerExtension.
func (Trusted) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (t Trusted) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if t.AnonymousOnly && auth.ForContext(ctx).Key != nil {
		return nil
	}
	hash, ok, err := extensionOf(p)
	if err != nil {
		return err
	}
	if !ok {
		if _, listed := t.List[Hash(p.Query)]; listed {
			return nil
		}
		return newError(CodeTrustedDocumentRequired,
			"this server runs trusted documents only, and this document is not one: send a listed document or its extensions.persistedQuery.sha256Hash")
	}
	doc, listed := t.List[hash]
	switch {
	case !listed && p.Query != "":
		return newError(CodeTrustedDocumentRequired, "this server runs trusted documents only, and this document is not one")
	case !listed:
		return newError(CodeNotAllowed, "this server runs trusted documents only, and no trusted document has the hash %s", hash)
	case p.Query != "" && p.Query != doc:
		return newError(CodeInvalid, "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it")
	}
	p.Query = doc
	return nil
}
