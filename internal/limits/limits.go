// Package limits refuses GraphQL documents that would cost too much to parse, validate
// or run: too long, too many tokens, too many aliases, too deep, too many directives on
// one field. It is a gqlgen handler extension that checks the raw query before gqlgen
// parses and validates it, so a hostile document is refused in time linear in its
// length (capped by the token limit), and always before any SQL runs.
//
// Each refusal is a GraphQL error with a stable extensions.code (the Code constants),
// registered with gqlgen as a request error, so GraphQL-over-HTTP clients that accept
// application/graphql-response+json get status 400.
package limits

import (
	"context"
	"fmt"

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
	// CodeComplexity is gqlgen's own code for a query whose cost exceeds the limit of
	// extension.FixedComplexityLimit.
	CodeComplexity = "COMPLEXITY_LIMIT_EXCEEDED"
)

// Codes lists every refusal code of this package, and gqlgen's complexity code.
var Codes = []string{CodeQueryTooLarge, CodeTooManyTokens, CodeTooManyAliases, CodeTooDeep, CodeTooManyDirectives, CodeComplexity}

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
}

// Default returns limits that every sensible query of Amity's schema stays well within,
// GraphiQL's introspection query included.
func Default() Config {
	return Config{MaxQueryBytes: 32 << 10, MaxTokens: 4000, MaxAliases: 40, MaxDepth: 15, MaxDirectives: 4}
}

// Extension is the gqlgen handler extension that enforces a Config.
type Extension struct {
	cfg Config
	// passed remembers documents that passed, so a client repeating a query pays for
	// the checks once, as gqlgen's own query cache does for parsing.
	passed *lru.LRU[struct{}]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Extension)(nil)

// New returns the extension. Add it after extension.AutomaticPersistedQuery, so a
// persisted query is checked too.
func New(cfg Config) *Extension {
	return &Extension{cfg: cfg, passed: lru.New[struct{}](1000)}
}

// ExtensionName names the extension in gqlgen's stats.
func (e *Extension) ExtensionName() string { return "QueryLimits" }

// Validate accepts any schema.
func (e *Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters checks the raw query before gqlgen parses it.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	if _, ok := e.passed.Get(ctx, p.Query); ok {
		return nil
	}
	if err := Check(p.Query, e.cfg); err != nil {
		return err
	}
	e.passed.Add(ctx, p.Query, struct{}{})
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
	if cfg.MaxDepth > 0 {
		d := depthMeter{fragments: map[string]*ast.FragmentDefinition{}, memo: map[string]int{}, visiting: map[string]bool{}}
		for _, f := range doc.Fragments {
			d.fragments[f.Name] = f
		}
		for _, op := range doc.Operations {
			if n := d.depth(op.SelectionSet); n > cfg.MaxDepth {
				return refuse(CodeTooDeep, "the query nests fields %d deep; the limit is %d", n, cfg.MaxDepth)
			}
		}
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

// depthMeter measures how deep fields nest. Named fragments are measured once each;
// a fragment that spreads itself (a cycle, which validation refuses) adds nothing.
type depthMeter struct {
	fragments map[string]*ast.FragmentDefinition
	memo      map[string]int
	visiting  map[string]bool
}

func (d *depthMeter) depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		n := 0
		switch s := sel.(type) {
		case *ast.Field:
			n = 1 + d.depth(s.SelectionSet)
		case *ast.InlineFragment:
			n = d.depth(s.SelectionSet)
		case *ast.FragmentSpread:
			n = d.fragmentDepth(s.Name)
		}
		deepest = max(deepest, n)
	}
	return deepest
}

func (d *depthMeter) fragmentDepth(name string) int {
	if n, ok := d.memo[name]; ok {
		return n
	}
	f, ok := d.fragments[name]
	if !ok || d.visiting[name] {
		return 0
	}
	d.visiting[name] = true
	n := d.depth(f.SelectionSet)
	d.visiting[name] = false
	d.memo[name] = n
	return n
}
