package migrate

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestLineTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // quoted words as "q:word"
		err  string
	}{
		{"delay_loop 6", []string{"delay_loop", "6"}, ""},
		{"  lb_algo\twrr   # comment", []string{"lb_algo", "wrr"}, ""},
		{"! a whole comment line", nil, ""},
		{"real_server 10.1.0.1 80{", []string{"real_server", "10.1.0.1", "80", "{"}, ""},
		{"}}", []string{"}", "}"}, ""},
		{`misc_path "/bin/check # not a comment" user`, []string{"misc_path", "q:/bin/check # not a comment", "user"}, ""},
		{`notify "say \"hi\" \\ now"`, []string{"notify", `q:say "hi" \ now`}, ""},
		{`path "{"`, []string{"path", "q:{"}, ""},
		{"url#x", []string{"url#x"}, ""},
		{`script "unterminated`, nil, "unterminated quoted string"},
	} {
		toks, err := lineTokens("f", 7, tc.in)
		if tc.err != "" {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != 7 || !strings.Contains(se.Msg, tc.err) {
				t.Errorf("%q: error %v, want %q at line 7", tc.in, err, tc.err)
			}
			continue
		}
		var got []string
		for _, tk := range toks {
			w := tk.text
			if tk.quoted {
				w = "q:" + w
			}
			got = append(got, w)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// render writes statements back as "name(args){kids}" for comparison.
func renderStmts(list []*stmt) string {
	var parts []string
	for _, s := range list {
		p := s.name
		if len(s.args) > 0 {
			p += "(" + strings.Join(s.args, ",") + ")"
		}
		if s.block {
			p += "{" + renderStmts(s.kids) + "}"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ";")
}

func TestParseStatements(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		errLine  int
	}{
		{"a 1\nb 2", "a(1);b(2)", 0},
		{"vs 1 2 {\n  x 3\n}", "vs(1,2){x(3)}", 0},
		{"vs 1\n{\n x\n}", "vs(1){x}", 0},
		{"vip { 10.0.0.1 10.0.0.2 }", "vip{10.0.0.1(10.0.0.2)}", 0},
		{"vip {\n10.0.0.1\n10.0.0.2 dev eth0\n}", "vip{10.0.0.1;10.0.0.2(dev,eth0)}", 0},
		{"a { b { c } }", "a{b{c}}", 0},
		{"empty {\n}", "empty{}", 0},
		{"a {\n b\n", "", 1},
		{"a\n}\n", "", 2},
		{"{ x }", "", 1},
	} {
		lx := lexer{ws: &warnings{}}
		if err := lx.file("f", []byte(tc.in), 0); err != nil {
			t.Fatal(err)
		}
		got, err := parseStatements(lx.toks)
		if tc.errLine != 0 {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != tc.errLine || se.File != "f" {
				t.Errorf("%q: error %v, want one at f:%d", tc.in, err, tc.errLine)
			}
			continue
		}
		if err != nil || renderStmts(got) != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, renderStmts(got), err, tc.want)
		}
	}
}

// mapFiles is an in-memory Files for include tests.
type mapFiles map[string]string

func (m mapFiles) Glob(pattern string) ([]string, error) {
	var out []string
	for name := range m {
		if ok, err := path.Match(pattern, name); err != nil {
			return nil, err
		} else if ok {
			out = append(out, name)
		}
	}
	// map order is random; glob order is lexical
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out, nil
}

func (m mapFiles) ReadFile(name string) ([]byte, error) { return []byte(m[name]), nil }

func TestInclude(t *testing.T) {
	files := mapFiles{
		"etc/k.conf":      "vs 1 {\n include sub/*.conf\n}\ninclude /abs/x.conf",
		"etc/sub/b.conf":  "b",
		"etc/sub/a.conf":  "a",
		"/abs/x.conf":     "x",
		"loop/self.conf":  "include self.conf",
		"etc/other.txt":   "not included",
		"nomatch/m.conf":  "include none/*.conf\nkept",
		"stdin/main.conf": "include x.conf\nkept",
	}
	lx := lexer{files: files, ws: &warnings{}}
	if err := lx.file("etc/k.conf", []byte(files["etc/k.conf"]), 0); err != nil {
		t.Fatal(err)
	}
	got, err := parseStatements(lx.toks)
	if err != nil || renderStmts(got) != "vs(1){a;b};x" {
		t.Errorf("got %q, %v; want includes spliced in place, in glob order", renderStmts(got), err)
	}
	if got[0].kids[0].at.file != "etc/sub/a.conf" {
		t.Errorf("an included statement points to %s, want etc/sub/a.conf", got[0].kids[0].at.file)
	}

	lx = lexer{files: files, ws: &warnings{}}
	var se *SyntaxError
	if err := lx.file("loop/self.conf", []byte(files["loop/self.conf"]), 0); !errors.As(err, &se) || !strings.Contains(se.Msg, "nested deeper") {
		t.Errorf("a file including itself: %v, want a nesting error", err)
	}

	ws := warnings{}
	lx = lexer{files: files, ws: &ws}
	if err := lx.file("nomatch/m.conf", []byte(files["nomatch/m.conf"]), 0); err != nil || len(ws) != 1 || !strings.Contains(ws[0].Msg, "matches no file") {
		t.Errorf("include of nothing: %v, warnings %v", err, ws)
	}

	ws = warnings{}
	lx = lexer{ws: &ws}
	if err := lx.file("-", []byte(files["stdin/main.conf"]), 0); err != nil || len(ws) != 1 || !strings.Contains(ws[0].String(), "-:1: directive include: unsupported") {
		t.Errorf("include without Files: %v, warnings %v", err, ws)
	}
}

func TestTemplatedLinesReported(t *testing.T) {
	ws := warnings{}
	lx := lexer{ws: &ws}
	if err := lx.file("f", []byte("@main router_id a\n$PRIO=100\npriority $PRIO\n"), 0); err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Line != 1 || ws[1].Line != 2 {
		t.Errorf("warnings %v, want lines 1 and 2 reported", ws)
	}
	if len(lx.toks) != 2 || lx.toks[1].text != "$PRIO" {
		t.Errorf("tokens %v, want only the priority line, $PRIO as written", lx.toks)
	}
}
