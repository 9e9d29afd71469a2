package importer

import (
	"fmt"
	"strings"
)

// MaxProblems is how many problems an Error lists; past it only a count is kept, since
// a file that wrong is usually wrong in one systematic way.
const MaxProblems = 50

// Problem is one thing wrong with an import file, at a line and a field such as
// "agreement.signatories[1].party".
type Problem struct {
	File    string
	Line    int // 1-based; 0 when the problem concerns the whole file
	Field   string
	Message string
}

// String renders the problem as "file:line: field: message", the form editors and
// compilers use, so that editors can jump to it.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error lists the problems that kept a file from being imported. Nothing of the file
// was written.
type Error struct {
	File     string
	Problems []Problem
	// Omitted counts problems found beyond MaxProblems.
	Omitted int
}

func (e *Error) Error() string {
	var b strings.Builder
	n := len(e.Problems) + e.Omitted
	fmt.Fprintf(&b, "%s: not imported, %d problem", e.File, n)
	if n != 1 {
		b.WriteString("s")
	}
	b.WriteString(":")
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "\n… and %d more", e.Omitted)
	}
	return b.String()
}

// Problems collects the problems of one file, up to MaxProblems.
type Problems struct {
	File string
	err  Error
}

// Addf records a problem at line and field.
func (ps *Problems) Addf(line int, field, format string, args ...any) {
	if len(ps.err.Problems) >= MaxProblems {
		ps.err.Omitted++
		return
	}
	ps.err.Problems = append(ps.err.Problems, Problem{File: ps.File, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// merge records the problems of o after those of ps.
func (ps *Problems) merge(o *Problems) {
	for _, p := range o.err.Problems {
		if len(ps.err.Problems) >= MaxProblems {
			ps.err.Omitted++
			continue
		}
		p.File = ps.File
		ps.err.Problems = append(ps.err.Problems, p)
	}
	ps.err.Omitted += o.err.Omitted
}

// Len is the number of problems recorded, omitted ones included.
func (ps *Problems) Len() int { return len(ps.err.Problems) + ps.err.Omitted }

// Full reports whether more problems would only be counted.
func (ps *Problems) Full() bool { return len(ps.err.Problems) >= MaxProblems }

// Err returns an *Error with every problem, or nil when there is none.
func (ps *Problems) Err() error {
	if ps.Len() == 0 {
		return nil
	}
	e := ps.err
	e.File = ps.File
	return &e
}
