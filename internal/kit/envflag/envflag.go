// Package envflag reads a command's settings from its flags and, for a setting whose
// flag is not given, from its environment variable. A value that does not parse, or is
// out of range, is refused with an *Error naming the flag or the variable it came from:
// a deployment with a typo must not start on a default nobody asked for.
package envflag

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Error is a value refused: Name is the flag (--db-max-conns) or the environment
// variable (AMITY_DB_MAX_CONNS) it came from.
type Error struct {
	Name    string
	Problem string
}

func (e *Error) Error() string { return e.Name + ": " + e.Problem }

// usageError is a command line the flag package refused (an unknown flag, a flag
// without its value).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// IsUsage reports whether err is a refused value or command line, which a command
// answers with exit status 2, rather than a failure of its work.
func IsUsage(err error) bool {
	var bad *Error
	var usage usageError
	return errors.As(err, &bad) || errors.As(err, &usage)
}

// Set is the settings of one command, bound to its FlagSet.
type Set struct {
	fs       *flag.FlagSet
	lookup   func(string) (string, bool)
	settings []*setting
}

// New binds a Set to fs; lookup reads the environment (os.LookupEnv, or a map in tests).
func New(fs *flag.FlagSet, lookup func(string) (string, bool)) *Set {
	return &Set{fs: fs, lookup: lookup}
}

type setting struct {
	flag, env string
	kind      string // shown in the usage: int, duration, …
	def       string // shown in the usage
	// quote says whether a refused value may be shown: not for URLs, which can carry
	// passwords.
	quote bool
	// emptyIsUnset makes an empty variable mean its default, as it did before values
	// were checked; a string setting takes the empty value as given.
	emptyIsUnset bool
	apply        func(string) (problem string)
	given        *string // the command line's value, if the flag was given
}

// flagValue holds a flag's text until Resolve checks it, so that a bad flag and a bad
// variable are reported the same way.
type flagValue struct{ s *setting }

func (v flagValue) String() string {
	if v.s == nil {
		return ""
	}
	return v.s.def
}

func (v flagValue) Set(text string) error {
	v.s.given = &text
	return nil
}

func (v flagValue) IsBoolFlag() bool { return v.s != nil && v.s.kind == "bool" }

func (s *Set) add(st *setting, usage string) {
	s.settings = append(s.settings, st)
	if st.env != "" {
		usage += " (env " + st.env + ")"
	}
	s.fs.Var(flagValue{st}, st.flag, usage)
}

// Parse reads the command line's flags; call it once or more (between positional
// arguments), then Resolve.
func (s *Set) Parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// Resolve gives every setting its value: the flag's if given, else the variable's if
// set, else the default. It reports every refused value, not only the first.
func (s *Set) Resolve() error {
	var errs []error
	for _, st := range s.settings {
		text, name := "", ""
		switch v, ok := s.lookup(st.env); {
		case st.given != nil:
			text, name = *st.given, "--"+st.flag
		case st.env != "" && ok && (v != "" || !st.emptyIsUnset):
			text, name = v, st.env
		default:
			continue
		}
		if problem := st.apply(text); problem != "" {
			if st.quote {
				problem += fmt.Sprintf(" (%q)", text)
			}
			errs = append(errs, &Error{Name: name, Problem: problem})
		}
	}
	return errors.Join(errs...)
}

// ParseAndResolve is Parse, then Resolve.
func (s *Set) ParseAndResolve(args []string) error {
	if err := s.Parse(args); err != nil {
		return err
	}
	return s.Resolve()
}

// Check is a condition a parsed value must meet; it returns the problem, or "".
type Check[T any] func(T) string

// AtLeast refuses values below min.
func AtLeast[T cmp.Ordered](min T) Check[T] {
	return func(v T) string {
		if v >= min {
			return ""
		}
		var zero T
		if min == zero {
			return "must not be negative"
		}
		return fmt.Sprintf("must be at least %v", min)
	}
}

// Between refuses values outside [lo, hi].
func Between[T cmp.Ordered](lo, hi T) Check[T] {
	return func(v T) string {
		if v < lo || v > hi {
			return fmt.Sprintf("must be between %v and %v", lo, hi)
		}
		return ""
	}
}

func checked[T any](p *T, v T, checks []Check[T]) string {
	for _, c := range checks {
		if problem := c(v); problem != "" {
			return problem
		}
	}
	*p = v
	return ""
}

// String is a text setting; an empty variable is the empty text.
func (s *Set) String(p *string, flagName, env string, def, usage string) {
	*p = def
	s.add(&setting{flag: flagName, env: env, kind: "string", def: def, quote: true,
		apply: func(t string) string { *p = t; return "" }}, usage)
}

// Int is an integer setting.
func (s *Set) Int(p *int, flagName, env string, def int, usage string, checks ...Check[int]) {
	*p = def
	s.add(&setting{flag: flagName, env: env, kind: "int", def: strconv.Itoa(def), quote: true, emptyIsUnset: true,
		apply: func(t string) string {
			v, err := strconv.Atoi(strings.TrimSpace(t))
			if err != nil {
				return "not an integer"
			}
			return checked(p, v, checks)
		}}, usage)
}

// Int64 is a 64-bit integer setting.
func (s *Set) Int64(p *int64, flagName, env string, def int64, usage string, checks ...Check[int64]) {
	*p = def
	s.add(&setting{flag: flagName, env: env, kind: "int", def: strconv.FormatInt(def, 10), quote: true, emptyIsUnset: true,
		apply: func(t string) string {
			v, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
			if err != nil {
				return "not an integer"
			}
			return checked(p, v, checks)
		}}, usage)
}

// Float is a number setting; NaN and the infinities are refused.
func (s *Set) Float(p *float64, flagName, env string, def float64, usage string, checks ...Check[float64]) {
	*p = def
	s.add(&setting{flag: flagName, env: env, kind: "float", def: strconv.FormatFloat(def, 'g', -1, 64), quote: true, emptyIsUnset: true,
		apply: func(t string) string {
			v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return "not a number"
			}
			return checked(p, v, checks)
		}}, usage)
}

// Bool is a switch: true, false, 1, 0, t, f (any case).
func (s *Set) Bool(p *bool, flagName, env string, def bool, usage string) {
	*p = def
	s.add(&setting{flag: flagName, env: env, kind: "bool", def: strconv.FormatBool(def), quote: true, emptyIsUnset: true,
		apply: func(t string) string {
			v, err := strconv.ParseBool(strings.TrimSpace(t))
			if err != nil {
				return "not a boolean (true or false)"
			}
			*p = v
			return ""
		}}, usage)
}

// Duration is a time setting, written as Go does: 250ms, 10s, 1h30m; a bare 0 is zero.
func (s *Set) Duration(p *time.Duration, flagName, env string, def time.Duration, usage string, checks ...Check[time.Duration]) {
	*p = def
	s.add(&setting{flag: flagName, env: env, kind: "duration", def: def.String(), quote: true, emptyIsUnset: true,
		apply: func(t string) string {
			v, err := time.ParseDuration(strings.TrimSpace(t))
			if err != nil {
				return "not a duration (such as 250ms, 10s or 2m)"
			}
			return checked(p, v, checks)
		}}, usage)
}

// OneOf is a setting that takes one of a few words.
func (s *Set) OneOf(p *string, flagName, env string, def string, values []string, usage string) {
	*p = def
	s.add(&setting{flag: flagName, env: env, kind: "string", def: def, quote: true,
		apply: func(t string) string {
			for _, v := range values {
				if t == v {
					*p = v
					return ""
				}
			}
			var shown []string
			for _, v := range values {
				if v == "" {
					v = `"" (off)`
				}
				shown = append(shown, v)
			}
			return "must be one of " + strings.Join(shown, ", ")
		}}, usage)
}

// Func is a setting of any other kind (a list, a URL, an address): parse checks and
// stores the text, and returns the problem, or "". The value is not repeated in the
// message, since a URL may carry a password: parse names the faulty part itself. The
// default text is parsed too when neither the flag nor the variable is given, so parse
// is the one place the value is made.
func (s *Set) Func(flagName, env, kind, def, usage string, parse func(string) string) {
	if problem := parse(def); problem != "" {
		panic(fmt.Sprintf("envflag: the default of --%s is refused: %s", flagName, problem))
	}
	s.add(&setting{flag: flagName, env: env, kind: kind, def: def, apply: parse}, usage)
}

// PrintDefaults writes the usage of every flag of fs, with the variable and the kind of
// the settings, to w.
func PrintDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		def := f.DefValue
		if v, ok := f.Value.(flagValue); ok {
			kind, usage = v.s.kind, f.Usage
			if kind == "bool" {
				kind = ""
			}
		}
		line := "  --" + f.Name
		if kind != "" {
			line += " " + kind
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def != "" && def != "false" && def != "0" && def != "0s" {
			fmt.Fprintf(w, " (default %s)", def)
		}
		fmt.Fprintln(w)
	})
}
