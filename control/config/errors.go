package config

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one field of the configuration.
type FieldError struct {
	Path string // e.g. services[1].real_servers[0].weight
	Msg  string

	// needsPorts marks checks that look up port subnets; they are noise
	// when a port address itself failed to decode.
	needsPorts bool
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// Error collects every problem found in a configuration, one per line.
type Error struct {
	File     string // set by Load
	Problems []*FieldError
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File + ": ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find the individual *FieldError values.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// problems accumulates field errors; checks keep going after a failure so
// that one run reports everything.
type problems []*FieldError

func (p *problems) add(path, format string, args ...any) *FieldError {
	fe := &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
	*p = append(*p, fe)
	return fe
}

func (p problems) err(file string) error {
	if len(p) == 0 {
		return nil
	}
	return &Error{File: file, Problems: p}
}

func idx(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
