package migrate

import "fmt"

// Warning is one directive that was not translated as written.
type Warning struct {
	File      string
	Line      int
	Directive string
	Msg       string
}

func (w Warning) String() string {
	return fmt.Sprintf("%s:%d: directive %s: %s", w.File, w.Line, w.Directive, w.Msg)
}

// SyntaxError is input the converter cannot read; nothing is printed.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// origin is where a directive was written: what a warning, and a YAML
// node built from it, point back to.
type origin struct {
	file      string
	line      int
	directive string
}

// Result is a converted configuration and what could not be carried over.
type Result struct {
	YAML     []byte
	Warnings []Warning
}

// warnings collects a conversion's warnings in the order they are found.
type warnings []Warning

func (ws *warnings) add(at origin, format string, args ...any) {
	*ws = append(*ws, Warning{File: at.file, Line: at.line, Directive: at.directive, Msg: fmt.Sprintf(format, args...)})
}

// unsupported reports a directive govs has no equivalent for.
func (ws *warnings) unsupported(at origin, why string) {
	ws.add(at, "unsupported (%s)", why)
}
