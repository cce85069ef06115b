package config

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
)

// object walks one YAML mapping. Every key asked for is recorded as known,
// so close can name the unknown ones (typo protection) and list the valid ones.
type object struct {
	p     *problems
	path  string
	m     map[string]any
	known []string
}

// newObject accepts a mapping, or nil for an absent/empty section.
func newObject(p *problems, path string, v any) *object {
	o := &object{p: p, path: path}
	switch m := v.(type) {
	case nil:
	case map[string]any:
		o.m = m
	default:
		p.add(pathOr(path), "must be a mapping, got %s", describe(v))
	}
	return o
}

func pathOr(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// get returns the value of key; a YAML null counts as absent.
func (o *object) get(key string) (string, any, bool) {
	o.known = append(o.known, key)
	v, ok := o.m[key]
	return join(o.path, key), v, ok && v != nil
}

func (o *object) close() {
	var unknown []string
	for k := range o.m {
		if !slices.Contains(o.known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	known := slices.Clone(o.known)
	sort.Strings(known)
	for _, k := range unknown {
		o.p.add(join(o.path, k), "unknown key; valid keys here: %s", strings.Join(known, ", "))
	}
}

func (o *object) str(key string, dst *string) bool {
	path, v, ok := o.get(key)
	if !ok {
		return false
	}
	s, isStr := v.(string)
	if !isStr {
		o.p.add(path, "must be a string, got %s", describe(v))
		return false
	}
	*dst = s
	return true
}

func (o *object) boolean(key string, dst *bool) {
	path, v, ok := o.get(key)
	if !ok {
		return
	}
	b, isBool := v.(bool)
	if !isBool {
		o.p.add(path, "must be true or false, got %s", describe(v))
		return
	}
	*dst = b
}

// integer range-checks in the decoder because a narrow destination type
// could not hold the bad value for Validate to see.
func (o *object) integer(key string, min, max int64) (int64, bool) {
	path, v, ok := o.get(key)
	if !ok {
		return 0, false
	}
	n, isInt := toInt64(v)
	if !isInt {
		o.p.add(path, "must be an integer, got %s", describe(v))
		return 0, false
	}
	if n < min || n > max {
		o.p.add(path, "must be between %d and %d, got %d", min, max, n)
		return 0, false
	}
	return n, true
}

func (o *object) int(key string, dst *int, min, max int64) {
	if n, ok := o.integer(key, min, max); ok {
		*dst = int(n)
	}
}

func (o *object) uint16(key string, dst *uint16, min, max int64) bool {
	n, ok := o.integer(key, min, max)
	if ok {
		*dst = uint16(n)
	}
	return ok
}

func (o *object) uint32(key string, dst *uint32, min, max int64) {
	if n, ok := o.integer(key, min, max); ok {
		*dst = uint32(n)
	}
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

// duration requires a unit ("900s"): a bare number is ambiguous.
func (o *object) duration(key string, dst *time.Duration) {
	path, v, ok := o.get(key)
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr {
		o.p.add(path, "must be a duration with a unit like 900s or 200us, got %s", describe(v))
		return
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		o.p.add(path, "%q is not a duration like 900s or 200us", s)
		return
	}
	*dst = d
}

func (o *object) strings(key string, dst *[]string) {
	path, v, ok := o.get(key)
	if !ok {
		return
	}
	list, isList := v.([]any)
	if !isList {
		o.p.add(path, "must be a list of strings, got %s", describe(v))
		return
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, isStr := e.(string)
		if !isStr {
			o.p.add(idx(path, i), "must be a string, got %s", describe(e))
			continue
		}
		out = append(out, s)
	}
	*dst = out
}

// list returns the elements of a list-valued key and the key's path.
func (o *object) list(key string) (string, []any) {
	path, v, ok := o.get(key)
	if !ok {
		return path, nil
	}
	list, isList := v.([]any)
	if !isList {
		o.p.add(path, "must be a list, got %s", describe(v))
		return path, nil
	}
	return path, list
}

func (o *object) addr(key string, dst *netip.Addr) {
	path, v, ok := o.get(key)
	if !ok {
		return
	}
	s, _ := v.(string)
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		o.p.add(path, "%s is not an IPv4 address like 10.0.0.1", quoteValue(v))
		return
	}
	*dst = a
}

func (o *object) prefix(key string, dst *netip.Prefix) {
	path, v, ok := o.get(key)
	if !ok {
		return
	}
	s, _ := v.(string)
	pfx, err := netip.ParsePrefix(s)
	if err != nil || !pfx.Addr().Is4() {
		o.p.add(path, "%s is not an address/prefix like 10.0.0.1/24", quoteValue(v))
		return
	}
	*dst = pfx
}

// describe names a decoded YAML value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case int, int64, uint64:
		return fmt.Sprintf("integer %d", x)
	case float64:
		return fmt.Sprintf("number %g", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// quoteValue shows strings quoted and other values as described.
func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return describe(v)
}
