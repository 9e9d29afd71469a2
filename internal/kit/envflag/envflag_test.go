package envflag

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

type settings struct {
	n     int
	big   int64
	ratio float64
	on    bool
	wait  time.Duration
	name  string
	mode  string
	list  []string
}

func newTestSet(env map[string]string) (*Set, *settings) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := New(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	v := &settings{}
	s.Int(&v.n, "n", "N", 20, "an int", AtLeast(1))
	s.Int64(&v.big, "big", "BIG", 1<<40, "a big int", AtLeast[int64](0))
	s.Float(&v.ratio, "ratio", "RATIO", 1, "a share", Between(0.0, 1.0))
	s.Bool(&v.on, "on", "ON", true, "a switch")
	s.Duration(&v.wait, "wait", "WAIT", time.Second, "a wait", AtLeast[time.Duration](0))
	s.String(&v.name, "name", "NAME", "amity:", "a text")
	s.OneOf(&v.mode, "mode", "MODE", "", []string{"", "a", "b"}, "a choice")
	s.Func("list", "LIST", "list", "x", "words without digits", func(t string) string {
		v.list = nil
		for _, w := range strings.Split(t, ",") {
			if strings.ContainsAny(w, "0123456789") {
				return "no digits in " + w
			}
			v.list = append(v.list, w)
		}
		return ""
	})
	return s, v
}

func TestDefaults(t *testing.T) {
	s, v := newTestSet(nil)
	if err := s.ParseAndResolve(nil); err != nil {
		t.Fatal(err)
	}
	want := settings{n: 20, big: 1 << 40, ratio: 1, on: true, wait: time.Second, name: "amity:", list: []string{"x"}}
	if v.n != want.n || v.big != want.big || v.ratio != want.ratio || v.on != want.on || v.wait != want.wait || v.name != want.name || v.mode != "" || strings.Join(v.list, ",") != "x" {
		t.Errorf("defaults: got %+v, want %+v", *v, want)
	}
}

// A flag wins over its variable; a variable over the default; an empty variable of a
// typed setting is its default, of a text setting the empty text.
func TestPrecedence(t *testing.T) {
	env := map[string]string{"N": "5", "WAIT": "2s", "ON": "", "NAME": "", "LIST": "p,q"}
	s, v := newTestSet(env)
	if err := s.ParseAndResolve([]string{"--n", "7", "--list=r"}); err != nil {
		t.Fatal(err)
	}
	if v.n != 7 || v.wait != 2*time.Second || !v.on || v.name != "" || strings.Join(v.list, ",") != "r" {
		t.Errorf("got %+v", *v)
	}
}

// A flag that overrides a bad variable is what counts: the variable is not read.
func TestFlagOverridesBadVariable(t *testing.T) {
	s, v := newTestSet(map[string]string{"N": "2O"})
	if err := s.ParseAndResolve([]string{"--n=3"}); err != nil || v.n != 3 {
		t.Fatalf("got %d, %v", v.n, err)
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"N": "2O"}, nil, `N: not an integer ("2O")`},
		{map[string]string{"N": "0"}, nil, `N: must be at least 1 ("0")`},
		{nil, []string{"--n", "1.5"}, `--n: not an integer ("1.5")`},
		{map[string]string{"BIG": "-1"}, nil, `BIG: must not be negative ("-1")`},
		{map[string]string{"BIG": "99999999999999999999"}, nil, "BIG: not an integer"},
		{map[string]string{"RATIO": "half"}, nil, `RATIO: not a number ("half")`},
		{map[string]string{"RATIO": "NaN"}, nil, "RATIO: not a number"},
		{nil, []string{"--ratio=1.5"}, `--ratio: must be between 0 and 1 ("1.5")`},
		{map[string]string{"ON": "yes"}, nil, `ON: not a boolean (true or false) ("yes")`},
		{nil, []string{"--on=maybe"}, "--on: not a boolean"},
		{map[string]string{"WAIT": "10"}, nil, `WAIT: not a duration (such as 250ms, 10s or 2m) ("10")`},
		{map[string]string{"WAIT": "-3s"}, nil, `WAIT: must not be negative ("-3s")`},
		{map[string]string{"MODE": "c"}, nil, `MODE: must be one of "" (off), a, b ("c")`},
		{map[string]string{"LIST": "a,b2"}, nil, "LIST: no digits in b2"},
	}
	for _, tt := range tests {
		s, _ := newTestSet(tt.env)
		err := s.ParseAndResolve(tt.args)
		if err == nil || err.Error() != tt.want && !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("env %v args %v: got %v, want %q", tt.env, tt.args, err, tt.want)
			continue
		}
		var bad *Error
		if !errors.As(err, &bad) || !IsUsage(err) {
			t.Errorf("env %v args %v: %T is not an *Error", tt.env, tt.args, err)
		}
	}
}

// Every refused value is reported at once, so a deployment is fixed in one go; a Func
// setting's value is not repeated, since it may be a URL with a password.
func TestEveryBadValueReported(t *testing.T) {
	s, _ := newTestSet(map[string]string{"N": "x", "WAIT": "y", "LIST": "s3cret"})
	err := s.ParseAndResolve(nil)
	got := err.Error()
	for _, want := range []string{"N: not an integer", "WAIT: not a duration", "LIST: no digits in s3cret"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if strings.Count(got, "s3cret") != 1 {
		t.Errorf("a Func value was repeated: %q", got)
	}
}

func TestUnknownFlagIsUsage(t *testing.T) {
	s, _ := newTestSet(nil)
	err := s.ParseAndResolve([]string{"--nope"})
	if err == nil || !IsUsage(err) {
		t.Errorf("got %v, want a usage error", err)
	}
	if IsUsage(errors.New("database down")) {
		t.Error("any error counts as usage")
	}
}

func TestPrintDefaults(t *testing.T) {
	s, _ := newTestSet(nil)
	var b strings.Builder
	PrintDefaults(&b, s.fs)
	for _, want := range []string{"--n int\n    \tan int (env N) (default 20)", "--on\n    \ta switch (env ON) (default true)", "--wait duration", "--list list"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}
