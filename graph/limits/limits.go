// Package limits refuses GraphQL documents that would cost too much to parse, validate
// or run: too long, too many tokens, too many aliases, too deep, too many fields once
// fragments are expanded, too many directives on one field. It is a gqlgen handler
// extension that checks the raw query before gqlgen parses and validates it, so a
// hostile document is refused in time linear in its length (capped by the token
// limit), and always before any SQL runs.
//
// Depth and expanded field count are measured with each named fragment's figures
// memoised, so a document whose fragments spread each other eight times over eight
// levels (8^8 fields once expanded, in a few hundred bytes) costs what its text costs
// to measure, never what its expansion would: gqlparser's validation and gqlgen's
// complexity walk both expand fragments, and must only ever see what passed here.
//
// Each refusal is a GraphQL error with a stable extensions.code (the Code constants),
// registered with gqlgen as a request error, so GraphQL-over-HTTP clients that accept
// application/graphql-response+json get status 400.
package limits

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
)

// Refusal codes. They reach clients as extensions.code and are part of the API.
const (
	CodeQueryTooLarge     = "QUERY_TOO_LARGE"
	CodeTooManyTokens     = "TOO_MANY_TOKENS"
	CodeTooManyAliases    = "TOO_MANY_ALIASES"
	CodeTooDeep           = "QUERY_TOO_DEEP"
	CodeTooManyDirectives = "TOO_MANY_DIRECTIVES"
	CodeTooManyFields     = "TOO_MANY_FIELDS"
	// CodeComplexity is gqlgen's own code for a query whose cost exceeds the limit of
	// extension.FixedComplexityLimit.
	CodeComplexity = "COMPLEXITY_LIMIT_EXCEEDED"
)

// Codes lists every refusal code of this package, and gqlgen's complexity code.
var Codes = []string{CodeQueryTooLarge, CodeTooManyTokens, CodeTooManyAliases, CodeTooDeep, CodeTooManyDirectives, CodeTooManyFields, CodeComplexity}

func init() {
	for _, c := range Codes {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// Config holds the limits. A limit of 0 or less is off.
type Config struct {
	// MaxQueryBytes caps the length of the query text.
	MaxQueryBytes int
	// MaxTokens caps the lexical tokens of the query (names, punctuation, values, comments).
	MaxTokens int
	// MaxAliases caps the aliased fields of the whole document.
	MaxAliases int
	// MaxDepth caps how deep fields nest in any operation, fragments followed.
	MaxDepth int
	// MaxDirectives caps the directives on one field, fragment or operation.
	MaxDirectives int
	// MaxFields caps the fields of any one operation once its fragments are expanded
	// (every field counts, leaves and __typename included): what execution, gqlgen's
	// complexity walk and the answer's size grow with.
	MaxFields int
	// MaxMerged caps how many fields of a document, fragments expanded, answer the same
	// response path (such as city.name written four times: in the query and in three
	// fragments). gqlparser's OverlappingFieldsCanBeMerged compares such fields pair by
	// pair, so its work grows with MaxFields × MaxMerged; 2,000 copies of __typename
	// alone, within every other limit, take it a quarter of a second. It is checked
	// only when MaxFields is on, which bounds the check's own work.
	MaxMerged int
}

// Default returns limits that every sensible query of Amity's schema stays well within,
// GraphiQL's introspection query included. Expanded, that query has 217 fields (depth
// 15) and the largest shipped operation (the explorer's ExploreCity) 113; 2,000 leaves
// room for larger clients while keeping the validation of the largest allowed document
// cheap (graph's BenchmarkValidateLargestAllowed).
func Default() Config {
	return Config{MaxQueryBytes: 32 << 10, MaxTokens: 4000, MaxAliases: 40, MaxDepth: 15, MaxDirectives: 4, MaxFields: 2000, MaxMerged: 10}
}

// Extension is the gqlgen handler extension that enforces a Config.
type Extension struct {
	cfg Config
	// passed remembers the hashes of documents that passed, so a client repeating a
	// query pays for the checks once, as gqlgen's own query cache does for parsing.
	// Keys are hashes rather than documents so that the cache holds 1,000 × 64 bytes,
	// not 1,000 documents.
	passed *lru.LRU[struct{}]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Extension)(nil)

// New returns the extension. Add it after automatic persisted queries, so a document
// sent by hash is checked too, and give the persisted-query extension its CheckQuery,
// so nothing is stored before it passed.
func New(cfg Config) *Extension {
	return &Extension{cfg: cfg, passed: lru.New[struct{}](1000)}
}

// ExtensionName names the extension in gqlgen's stats.
func (e *Extension) ExtensionName() string { return "QueryLimits" }

// Validate accepts any schema.
func (e *Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters checks the raw query before gqlgen parses it.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	return e.CheckQuery(ctx, p.Query)
}

// CheckQuery checks a document as MutateOperationParameters does, remembering the
// documents that passed. Automatic persisted queries call it before storing anything.
func (e *Extension) CheckQuery(ctx context.Context, query string) *gqlerror.Error {
	if query == "" {
		return nil
	}
	// Past the body's cap a document is refused by the scan at once; hashing it
	// first would only add work.
	key := ""
	if e.cfg.MaxQueryBytes <= 0 || len(query) <= e.cfg.MaxQueryBytes {
		sum := sha256.Sum256([]byte(query))
		key = hex.EncodeToString(sum[:])
		if _, ok := e.passed.Get(ctx, key); ok {
			return nil
		}
	}
	if err := Check(query, e.cfg); err != nil {
		return err
	}
	if key != "" {
		e.passed.Add(ctx, key, struct{}{})
	}
	return nil
}

func refuse(code, format string, args ...any) *gqlerror.Error {
	err := &gqlerror.Error{Message: fmt.Sprintf(format, args...)}
	errcode.Set(err, code)
	return err
}

// Check returns a refusal if the query breaks a limit, and nil otherwise. A document
// that does not parse passes: gqlgen's parser reports it with GRAPHQL_PARSE_FAILED.
func Check(query string, cfg Config) *gqlerror.Error {
	// The scan stops at the first broken limit, and the request body's cap bounds it,
	// so it runs before the length check to name the more specific fault.
	if err := scan(query, cfg); err != nil {
		return err
	}
	if cfg.MaxQueryBytes > 0 && len(query) > cfg.MaxQueryBytes {
		return refuse(CodeQueryTooLarge, "the query is %d bytes long; the limit is %d", len(query), cfg.MaxQueryBytes)
	}
	// The scan bounded the tokens, so parsing is cheap; a syntax error is left to gqlgen.
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil
	}
	return checkDocument(doc, cfg)
}

// scan reads the tokens once, stopping at the first limit broken. Outside parentheses
// (arguments, variable definitions, directive arguments) a name followed by a colon can
// only be an alias, so aliases are counted without parsing.
func scan(query string, cfg Config) *gqlerror.Error {
	lex := lexer.New(&ast.Source{Input: query})
	tokens, aliases, parens := 0, 0, 0
	prev := lexer.EOF
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil
		}
		tokens++
		if cfg.MaxTokens > 0 && tokens > cfg.MaxTokens {
			return refuse(CodeTooManyTokens, "the query has more than %d tokens", cfg.MaxTokens)
		}
		switch tok.Kind {
		case lexer.ParenL:
			parens++
		case lexer.ParenR:
			parens--
		case lexer.Colon:
			if parens == 0 && prev == lexer.Name {
				aliases++
				if cfg.MaxAliases > 0 && aliases > cfg.MaxAliases {
					return refuse(CodeTooManyAliases, "the query has more than %d aliases", cfg.MaxAliases)
				}
			}
		}
		if tok.Kind != lexer.Comment {
			prev = tok.Kind
		}
	}
}

// checkDocument checks depth and directives on the parsed document.
func checkDocument(doc *ast.QueryDocument, cfg Config) *gqlerror.Error {
	if cfg.MaxDirectives > 0 {
		for _, op := range doc.Operations {
			if err := checkDirectives(op.Directives, cfg.MaxDirectives); err != nil {
				return err
			}
			if err := walkDirectives(op.SelectionSet, cfg.MaxDirectives); err != nil {
				return err
			}
		}
		for _, f := range doc.Fragments {
			if err := checkDirectives(f.Directives, cfg.MaxDirectives); err != nil {
				return err
			}
			if err := walkDirectives(f.SelectionSet, cfg.MaxDirectives); err != nil {
				return err
			}
		}
	}
	if cfg.MaxDepth <= 0 && cfg.MaxFields <= 0 {
		return nil
	}
	m := newMeter(doc)
	for _, op := range doc.Operations {
		if err := m.check(op.SelectionSet, cfg); err != nil {
			return err
		}
	}
	// Validation walks every fragment, spread or not, so each is measured on its own too.
	for _, f := range doc.Fragments {
		if err := m.check(f.SelectionSet, cfg); err != nil {
			return err
		}
	}
	if cfg.MaxFields > 0 && cfg.MaxMerged > 0 {
		paths := pathCounter{meter: m, limit: cfg.MaxMerged, memo: map[string]paths{}}
		for _, op := range doc.Operations {
			if err := paths.check(op.SelectionSet); err != nil {
				return err
			}
		}
		for _, f := range doc.Fragments {
			if err := paths.check(f.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *meter) check(set ast.SelectionSet, cfg Config) *gqlerror.Error {
	sh := m.measure(set)
	if cfg.MaxDepth > 0 && sh.depth > cfg.MaxDepth {
		return refuse(CodeTooDeep, "the query nests fields %d deep; the limit is %d", sh.depth, cfg.MaxDepth)
	}
	if cfg.MaxFields > 0 && sh.fields > cfg.MaxFields {
		return refuse(CodeTooManyFields, "the operation has %s fields once its fragments are expanded; the limit is %d", count(sh.fields), cfg.MaxFields)
	}
	return nil
}

func checkDirectives(dirs ast.DirectiveList, max int) *gqlerror.Error {
	if len(dirs) > max {
		return refuse(CodeTooManyDirectives, "%d directives on one field; the limit is %d", len(dirs), max)
	}
	return nil
}

func walkDirectives(set ast.SelectionSet, max int) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if err := checkDirectives(s.Directives, max); err != nil {
				return err
			}
			if err := walkDirectives(s.SelectionSet, max); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := checkDirectives(s.Directives, max); err != nil {
				return err
			}
			if err := walkDirectives(s.SelectionSet, max); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if err := checkDirectives(s.Directives, max); err != nil {
				return err
			}
		}
	}
	return nil
}

// shape is what the meter measures of a selection set, fragments expanded: how deep
// its fields nest and how many fields it has.
type shape struct {
	depth, fields int
}

// saturated bounds a field count, so that fragments multiplying each other over many
// levels (8^20 fields, say) saturate instead of overflowing an int.
const saturated = 1 << 40

func count(n int) string {
	if n >= saturated {
		return "more than a trillion"
	}
	return fmt.Sprint(n)
}

// meter measures selection sets. Each named fragment is measured once and its shape
// memoised, so measuring costs time linear in the document's length however often
// fragments spread each other; a fragment that spreads itself (a cycle, which
// validation refuses) adds nothing.
type meter struct {
	fragments map[string]*ast.FragmentDefinition
	memo      map[string]shape
	visiting  map[string]bool
}

func newMeter(doc *ast.QueryDocument) *meter {
	m := &meter{fragments: map[string]*ast.FragmentDefinition{}, memo: map[string]shape{}, visiting: map[string]bool{}}
	for _, f := range doc.Fragments {
		m.fragments[f.Name] = f
	}
	return m
}

func (m *meter) measure(set ast.SelectionSet) shape {
	var total shape
	for _, sel := range set {
		var sh shape
		switch s := sel.(type) {
		case *ast.Field:
			sh = m.measure(s.SelectionSet)
			sh.depth++
			sh.fields++
		case *ast.InlineFragment:
			sh = m.measure(s.SelectionSet)
		case *ast.FragmentSpread:
			sh = m.fragment(s.Name)
		}
		total.depth = max(total.depth, sh.depth)
		total.fields = min(saturated, total.fields+sh.fields)
	}
	return total
}

func (m *meter) fragment(name string) shape {
	if sh, ok := m.memo[name]; ok {
		return sh
	}
	f, ok := m.fragments[name]
	if !ok || m.visiting[name] {
		return shape{}
	}
	m.visiting[name] = true
	sh := m.measure(f.SelectionSet)
	m.visiting[name] = false
	m.memo[name] = sh
	return sh
}

// paths counts the fields answering each response path below a selection set,
// fragments expanded: a tree keyed by response name (the alias, else the field name).
type paths map[string]*pathNode

type pathNode struct {
	fields int
	below  paths
}

// pathCounter finds a response path answered by more than limit fields. It runs only
// on documents whose every operation and fragment passed MaxFields, so the trees it
// builds hold at most that many fields each; fragments' trees are built once.
type pathCounter struct {
	meter *meter
	limit int
	memo  map[string]paths
}

func (c *pathCounter) check(set ast.SelectionSet) *gqlerror.Error {
	_, err := c.collect(paths{}, set, nil)
	return err
}

// collect adds the fields of set to into; at names the path of into, for the message.
func (c *pathCounter) collect(into paths, set ast.SelectionSet, at []string) (paths, *gqlerror.Error) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			n := into.node(name)
			n.fields++
			if err := c.over(n, append(at, name)); err != nil {
				return nil, err
			}
			if _, err := c.collect(n.below, s.SelectionSet, append(at, name)); err != nil {
				return nil, err
			}
		case *ast.InlineFragment:
			if _, err := c.collect(into, s.SelectionSet, at); err != nil {
				return nil, err
			}
		case *ast.FragmentSpread:
			f, err := c.fragment(s.Name)
			if err != nil {
				return nil, err
			}
			if err := c.merge(into, f, at); err != nil {
				return nil, err
			}
		}
	}
	return into, nil
}

func (c *pathCounter) fragment(name string) (paths, *gqlerror.Error) {
	if p, ok := c.memo[name]; ok {
		return p, nil
	}
	f, ok := c.meter.fragments[name]
	// A cycle (refused by validation) adds nothing, as in the meter.
	c.memo[name] = paths{}
	if !ok {
		return c.memo[name], nil
	}
	p, err := c.collect(paths{}, f.SelectionSet, nil)
	if err != nil {
		return nil, err
	}
	c.memo[name] = p
	return p, nil
}

func (c *pathCounter) merge(into, from paths, at []string) *gqlerror.Error {
	for name, src := range from {
		n := into.node(name)
		n.fields += src.fields
		if err := c.over(n, append(at, name)); err != nil {
			return err
		}
		if err := c.merge(n.below, src.below, append(at, name)); err != nil {
			return err
		}
	}
	return nil
}

func (c *pathCounter) over(n *pathNode, at []string) *gqlerror.Error {
	if n.fields > c.limit {
		return refuse(CodeTooManyFields, "%d fields answer %s once fragments are expanded; the limit is %d", n.fields, strings.Join(at, "."), c.limit)
	}
	return nil
}

func (p paths) node(name string) *pathNode {
	n, ok := p[name]
	if !ok {
		n = &pathNode{below: paths{}}
		p[name] = n
	}
	return n
}
