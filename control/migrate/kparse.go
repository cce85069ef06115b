package migrate

import "fmt"

// stmt is one keepalived directive: its name, the words after it on its
// line, and its block's statements when a brace follows.
type stmt struct {
	name  string
	args  []string
	kids  []*stmt
	block bool
	at    origin
}

// arg returns argument i, or "".
func (s *stmt) arg(i int) string {
	if i < len(s.args) {
		return s.args[i]
	}
	return ""
}

// parseStatements groups tokens into statements: the words of one line
// are one statement, and a { (on that line or the next) opens its block.
func parseStatements(toks []token) ([]*stmt, error) {
	p := parser{toks: toks}
	list, err := p.block(nil)
	if err != nil {
		return nil, err
	}
	return list, nil
}

type parser struct {
	toks []token
	i    int
}

// block reads statements until the } closing open (nil: the end of input).
func (p *parser) block(open *stmt) ([]*stmt, error) {
	var out []*stmt
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch {
		case t.is("}"):
			if open == nil {
				return nil, &SyntaxError{File: t.file, Line: t.line, Msg: "} closes no block"}
			}
			p.i++
			return out, nil
		case t.is("{"):
			return nil, &SyntaxError{File: t.file, Line: t.line, Msg: "{ opens a block for no directive"}
		}
		s := &stmt{name: t.text, at: origin{file: t.file, line: t.line, directive: t.text}}
		p.i++
		for p.i < len(p.toks) && sameLine(p.toks[p.i], t) && !p.toks[p.i].is("{") && !p.toks[p.i].is("}") {
			s.args = append(s.args, p.toks[p.i].text)
			p.i++
		}
		if p.i < len(p.toks) && p.toks[p.i].is("{") {
			p.i++
			s.block = true
			kids, err := p.block(s)
			if err != nil {
				return nil, err
			}
			s.kids = kids
		}
		out = append(out, s)
	}
	if open != nil {
		return nil, &SyntaxError{File: open.at.file, Line: open.at.line, Msg: fmt.Sprintf("the block of %s opened here is never closed", open.name)}
	}
	return out, nil
}

func sameLine(a, b token) bool { return a.line == b.line && a.file == b.file }
