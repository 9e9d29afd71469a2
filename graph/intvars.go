package graph

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/amity/amity/graph/model"
	"github.com/amity/amity/internal/knowledge"
)

// intVariableError rewrites gqlparser's refusal of a variable that is no Int. gqlparser
// coerces variables of the built-in Int itself, before model.UnmarshalInt sees them, and
// refuses a fraction such as 1.5 as "cannot use value 0 as Int" (or "cannot use string
// as Int" inside an input object, a JSON number being a string to it). The client gets
// the rule it broke instead, as the BAD_USER_INPUT every other bad Int gets, naming the
// variable. It reports whether e was such an error.
func intVariableError(e *gqlerror.Error) bool {
	if len(e.Path) < 2 || e.Path[0] != ast.PathName("variable") ||
		!strings.HasPrefix(e.Message, "cannot use ") || !strings.HasSuffix(e.Message, " as Int") {
		return false
	}
	var b strings.Builder
	b.WriteString("$")
	for i, p := range e.Path[1:] {
		switch p := p.(type) {
		case ast.PathIndex:
			b.WriteString("[" + strconv.Itoa(int(p)) + "]")
		case ast.PathName:
			if i > 0 {
				b.WriteString(".")
			}
			b.WriteString(string(p))
		}
	}
	field := b.String()
	e.Message = fmt.Sprintf("%s must be a whole number between %d and %d (a 32-bit Int)", field, model.MinInt, model.MaxInt)
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = knowledge.EINVALID
	e.Extensions["field"] = field
	return true
}
