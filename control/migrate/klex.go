package migrate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Files is where keepalived's include directive finds its files.
type Files interface {
	Glob(pattern string) ([]string, error)
	ReadFile(name string) ([]byte, error)
}

// OSFiles reads includes from the file system.
type OSFiles struct{}

func (OSFiles) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }
func (OSFiles) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }

// maxIncludeDepth bounds nested includes; deeper is taken for a loop.
const maxIncludeDepth = 16

// token is one word of keepalived.conf: a directive, an argument or a
// brace. A quoted word is never a brace, a comment or an include.
type token struct {
	text   string
	quoted bool
	file   string
	line   int
}

func (t token) is(s string) bool { return !t.quoted && t.text == s }

// lexer turns keepalived.conf and the files it includes into tokens.
// keepalived reads a line at a time, so includes are spliced in where
// their line was, at whatever block depth that is.
type lexer struct {
	files Files
	ws    *warnings
	toks  []token
	read  []string // files in the order they were read
}

func (l *lexer) file(name string, data []byte, depth int) error {
	l.read = append(l.read, name)
	for n, text := range strings.Split(string(data), "\n") {
		line, err := lineTokens(name, n+1, text)
		if err != nil {
			return err
		}
		if len(line) > 0 && l.templated(line[0]) {
			continue
		}
		if len(line) > 0 && line[0].is("include") {
			if err := l.include(line, depth); err != nil {
				return err
			}
			continue
		}
		l.toks = append(l.toks, line...)
	}
	return nil
}

// templated reports (and skips) keepalived's conditional lines (@id) and
// parameter definitions ($NAME=value): which apply depends on the
// director the file is for, so the operator resolves them first.
func (l *lexer) templated(first token) bool {
	at := origin{file: first.file, line: first.line, directive: first.text}
	switch {
	case first.quoted:
		return false
	case strings.HasPrefix(first.text, "@"):
		l.ws.unsupported(at, "conditional configuration: this line is skipped; resolve it for this director (keepalived -i) before converting")
		return true
	case strings.HasPrefix(first.text, "$") && strings.Contains(first.text, "="):
		l.ws.unsupported(at, "parameter definitions: this line is skipped and $NAME is left as written; substitute them before converting")
		return true
	}
	return false
}

// include reads the files matching each pattern, relative to the
// including file's directory, in glob order.
func (l *lexer) include(line []token, depth int) error {
	at := origin{file: line[0].file, line: line[0].line, directive: "include"}
	if len(line) < 2 {
		return &SyntaxError{File: at.file, Line: at.line, Msg: "include needs a file name or pattern"}
	}
	if depth >= maxIncludeDepth {
		return &SyntaxError{File: at.file, Line: at.line, Msg: fmt.Sprintf("includes nested deeper than %d (a file including itself?)", maxIncludeDepth)}
	}
	if l.files == nil {
		l.ws.unsupported(at, "includes cannot be read from standard input; give the file's path")
		return nil
	}
	for _, pat := range line[1:] {
		if !filepath.IsAbs(pat.text) {
			pat.text = filepath.Join(filepath.Dir(at.file), pat.text)
		}
		names, err := l.files.Glob(pat.text)
		if err != nil {
			return &SyntaxError{File: at.file, Line: at.line, Msg: fmt.Sprintf("include %s: %v", pat.text, err)}
		}
		if len(names) == 0 {
			l.ws.add(at, "%s matches no file (as keepalived, nothing is included)", pat.text)
		}
		for _, name := range names {
			data, err := l.files.ReadFile(name)
			if err != nil {
				return &SyntaxError{File: at.file, Line: at.line, Msg: fmt.Sprintf("include: %v", err)}
			}
			if err := l.file(name, data, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// lineTokens splits one line: words, "quoted strings" (\" and \\
// escaped), braces as words of their own, and # or ! comments starting
// at a word.
func lineTokens(file string, line int, text string) ([]token, error) {
	var out []token
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#' || c == '!':
			return out, nil
		case c == '{' || c == '}':
			out = append(out, token{text: string(c), file: file, line: line})
			i++
		case c == '"':
			s, n, ok := quoted(text[i+1:])
			if !ok {
				return nil, &SyntaxError{File: file, Line: line, Msg: "unterminated quoted string"}
			}
			out = append(out, token{text: s, quoted: true, file: file, line: line})
			i += 1 + n
		default:
			j := i
			for j < len(text) && !strings.ContainsRune(" \t\r\f\v{}\"", rune(text[j])) {
				j++
			}
			out = append(out, token{text: text[i:j], file: file, line: line})
			i = j
		}
	}
	return out, nil
}

// quoted reads a string up to its closing quote; n counts the bytes
// consumed, the quote included.
func quoted(s string) (string, int, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			return b.String(), i + 1, true
		case '\\':
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
			}
		}
		b.WriteByte(s[i])
	}
	return "", 0, false
}
