package knowledge

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// MaxFileProblems is how many problems a FileError lists; past it only a count is kept, since
// a file that wrong is usually wrong in one systematic way.
const MaxFileProblems = 50

// FileProblem is one thing wrong with an import file, at a line and a field such as
// "agreement.signatories[1].party".
type FileProblem struct {
	File    string
	Line    int // 1-based; 0 when the problem concerns the whole file
	Field   string
	Message string
	// Code is the problem's kind as a mutation reports it (CodeInvalid when empty):
	// a batch written for a mutation answers with the codes a client branches on.
	Code string
}

// String renders the problem as "file:line: field: message", the form editors and
// compilers use, so that editors can jump to it.
func (p FileProblem) String() string {
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

// FileError lists the problems that kept a file from being imported. Nothing of the file
// was written.
type FileError struct {
	File     string
	Problems []FileProblem
	// Omitted counts problems found beyond MaxFileProblems.
	Omitted int
	// Rest holds the omitted problems themselves (len(Rest) == Omitted), so that
	// `amity import --skip-invalid` can reject every line that has one.
	Rest []FileProblem
}

// All returns every problem, the listed ones and the omitted ones, in the order found.
func (e *FileError) All() []FileProblem {
	return append(append([]FileProblem(nil), e.Problems...), e.Rest...)
}

func (e *FileError) Error() string {
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

// FileProblems collects the problems of one file, up to MaxFileProblems.
type FileProblems struct {
	File string
	err  FileError
}

// Addf records a problem at line and field.
func (ps *FileProblems) Addf(line int, field, format string, args ...any) {
	ps.AddCode(line, field, "", format, args...)
}

// AddCode records a problem of a kind (a Code… constant) at line and field.
func (ps *FileProblems) AddCode(line int, field, code, format string, args ...any) {
	p := FileProblem{File: ps.File, Line: line, Field: field, Message: fmt.Sprintf(format, args...), Code: code}
	if len(ps.err.Problems) >= MaxFileProblems {
		ps.err.Omitted++
		ps.err.Rest = append(ps.err.Rest, p)
		return
	}
	ps.err.Problems = append(ps.err.Problems, p)
}

// Rule runs a relationship rule (rules.go) and records what it finds at line, each
// problem's path under the field prefix (such as "agreement"), so that a file and a
// mutation are held to the one rule and read its one message.
func (ps *FileProblems) Rule(line int, prefix string, rule func(p *Problems)) {
	var p Problems
	rule(&p)
	for _, fp := range p.list {
		field := prefix
		for _, part := range fp.Path[1:] { // past "input"
			if _, err := strconv.Atoi(part); err == nil {
				field += "[" + part + "]"
			} else {
				field += "." + part
			}
		}
		ps.AddCode(line, field, fp.Code, "%s", fp.Message)
	}
}

// Merge records the problems of o after those of ps.
func (ps *FileProblems) Merge(o *FileProblems) {
	for _, p := range o.err.All() {
		p.File = ps.File
		if len(ps.err.Problems) >= MaxFileProblems {
			ps.err.Omitted++
			ps.err.Rest = append(ps.err.Rest, p)
			continue
		}
		ps.err.Problems = append(ps.err.Problems, p)
	}
}

// Len is the number of problems recorded, omitted ones included.
func (ps *FileProblems) Len() int { return len(ps.err.Problems) + ps.err.Omitted }

// Full reports whether more problems would only be counted.
func (ps *FileProblems) Full() bool { return len(ps.err.Problems) >= MaxFileProblems }

// Err returns a *FileError with every problem, in the order of their lines (a file's
// own problems are found in several passes), or nil when there is none.
func (ps *FileProblems) Err() error {
	if ps.Len() == 0 {
		return nil
	}
	all := ps.err.All()
	sort.SliceStable(all, func(i, j int) bool { return all[i].Line < all[j].Line })
	n := min(len(all), MaxFileProblems)
	e := FileError{File: ps.File, Problems: all[:n:n], Omitted: len(all) - n}
	if e.Omitted > 0 {
		e.Rest = all[n:]
	}
	return &e
}
