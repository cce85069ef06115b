package migrate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// render writes a document in block style, lists of scalars in flow style,
// two spaces per level, as configs/example.yaml is written.
func render(doc *node, header string) []byte {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(header, "\n"), "\n") {
		if line != "" {
			b.WriteString("# " + line + "\n")
		}
	}
	writeMap(&b, doc, 0)
	return []byte(b.String())
}

func writeMap(b *strings.Builder, m *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for i, k := range m.keys {
		v := m.vals[i]
		switch {
		case v.isMap && len(v.keys) == 0:
			fmt.Fprintf(b, "%s%s: {}\n", pad, k)
		case v.isMap:
			fmt.Fprintf(b, "%s%s:\n", pad, k)
			writeMap(b, v, indent+2)
		case v.isSeq && scalarsOnly(v):
			fmt.Fprintf(b, "%s%s: %s\n", pad, k, flowSeq(v))
		case v.isSeq:
			fmt.Fprintf(b, "%s%s:\n", pad, k)
			writeSeq(b, v, indent+2)
		default:
			fmt.Fprintf(b, "%s%s: %s\n", pad, k, scalarText(v.scalar))
		}
	}
}

// writeSeq writes a sequence of mappings: each item's first key goes on
// its "- " line.
func writeSeq(b *strings.Builder, s *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, it := range s.items {
		if !it.isMap || len(it.keys) == 0 {
			fmt.Fprintf(b, "%s- %s\n", pad, itemText(it))
			continue
		}
		var inner strings.Builder
		writeMap(&inner, it, indent+2)
		fmt.Fprintf(b, "%s- %s", pad, inner.String()[indent+2:])
	}
}

func itemText(n *node) string {
	switch {
	case n.isMap:
		return "{}"
	case n.isSeq:
		return flowSeq(n)
	}
	return scalarText(n.scalar)
}

func scalarsOnly(s *node) bool {
	for _, it := range s.items {
		if it.isMap || it.isSeq {
			return false
		}
	}
	return true
}

func flowSeq(s *node) string {
	parts := make([]string, len(s.items))
	for i, it := range s.items {
		parts[i] = scalarText(it.scalar)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// safePlain is what YAML reads back as the same string without quotes.
var safePlain = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./-]*$`)

// resolvesAsOther matches plain scalars YAML would read as something else
// than a string: booleans, null, numbers.
var resolvesAsOther = regexp.MustCompile(`(?i)^(y|n|yes|no|on|off|true|false|null|~|[-+]?[0-9_.]+(e[-+]?[0-9]+)?|0x[0-9a-f_]+|0o?[0-7_]+|[-+]?\.inf|\.nan)$`)

func scalarText(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case plain:
		return quoteIfNeeded(string(x))
	case string:
		return quoteIfNeeded(x)
	}
	return "null"
}

func quoteIfNeeded(s string) string {
	// A dotted quad is a string to YAML; plain reads better.
	if safePlain.MatchString(s) && (!resolvesAsOther.MatchString(s) || strings.Count(s, ".") > 1) {
		return s
	}
	return doubleQuote(s)
}

// doubleQuote writes a YAML double-quoted scalar; YAML's escapes are a
// superset of these.
func doubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0xfffd || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
