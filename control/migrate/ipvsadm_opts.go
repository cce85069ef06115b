package migrate

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ipvsadmOpt is one option of a rule, as the user wrote it (flag) and by
// its long name without dashes (name).
type ipvsadmOpt struct {
	flag, name, value string
}

// ipvsadmOptions is a rule split by role: the command, the service it
// names, and everything else in order.
type ipvsadmOptions struct {
	command ipvsadmOpt
	service ipvsadmOpt
	rest    []ipvsadmOpt
}

type argKind int

const (
	noArg argKind = iota
	needsArg
	optionalArg // -p [timeout]: a value unless the next word is an option
)

type optionSpec struct {
	short string
	long  string
	arg   argKind
	role  byte // 'c' command, 's' service, 'o' other
}

// ipvsadmOptionSpecs are the options of ipvsadm(8) that a restore file
// can hold. Options not here are a syntax error: without knowing whether
// one takes a value, the rest of the line cannot be read.
var ipvsadmOptionSpecs = []optionSpec{
	{"-A", "add-service", noArg, 'c'}, {"-E", "edit-service", noArg, 'c'},
	{"-D", "delete-service", noArg, 'c'}, {"-C", "clear", noArg, 'c'},
	{"-a", "add-server", noArg, 'c'}, {"-e", "edit-server", noArg, 'c'},
	{"-d", "delete-server", noArg, 'c'}, {"-Z", "zero", noArg, 'c'},
	{"-t", "tcp-service", needsArg, 's'}, {"-u", "udp-service", needsArg, 's'},
	{"", "sctp-service", needsArg, 's'}, {"-f", "fwmark-service", needsArg, 's'},
	{"-s", "scheduler", needsArg, 'o'}, {"-p", "persistent", optionalArg, 'o'},
	{"-M", "netmask", needsArg, 'o'}, {"-b", "sched-flags", needsArg, 'o'},
	{"-o", "ops", noArg, 'o'}, {"", "pe", needsArg, 'o'},
	{"-r", "real-server", needsArg, 'o'}, {"-g", "gatewaying", noArg, 'o'},
	{"-i", "ipip", noArg, 'o'}, {"-m", "masquerading", noArg, 'o'},
	{"-w", "weight", needsArg, 'o'}, {"-x", "u-threshold", needsArg, 'o'},
	{"-y", "l-threshold", needsArg, 'o'},
	{"", "tun-type", needsArg, 'o'}, {"", "tun-port", needsArg, 'o'},
	{"", "tun-nocsum", noArg, 'o'}, {"", "tun-csum", noArg, 'o'}, {"", "tun-remcsum", noArg, 'o'},
}

func findOption(word string) (optionSpec, string, bool) {
	name, value, hasValue := strings.Cut(word, "=")
	for _, s := range ipvsadmOptionSpecs {
		if (s.short != "" && word == s.short) || (strings.HasPrefix(name, "--") && name[2:] == s.long) {
			if !hasValue || !strings.HasPrefix(name, "--") {
				value = ""
			}
			return s, value, true
		}
	}
	return optionSpec{}, "", false
}

// parseIpvsadmOptions splits one rule into its options.
func parseIpvsadmOptions(words []string) (*ipvsadmOptions, error) {
	var out ipvsadmOptions
	for i := 0; i < len(words); i++ {
		w := words[i]
		spec, inline, ok := findOption(w)
		if !ok {
			if strings.HasPrefix(w, "-") {
				return nil, fmt.Errorf("unknown option %s", w)
			}
			return nil, fmt.Errorf("%q is not an option", w)
		}
		o := ipvsadmOpt{flag: w, name: spec.long, value: inline}
		if o.flag != spec.short {
			o.flag = "--" + spec.long
		}
		next := i+1 < len(words) && inline == ""
		switch {
		case spec.arg == needsArg && inline == "":
			if !next {
				return nil, fmt.Errorf("%s needs a value", w)
			}
			i++
			o.value = words[i]
		case spec.arg == optionalArg && next && !strings.HasPrefix(words[i+1], "-"):
			i++
			o.value = words[i]
		}
		switch spec.role {
		case 'c':
			if out.command.name != "" {
				return nil, fmt.Errorf("two commands (%s and %s) in one rule", out.command.flag, o.flag)
			}
			out.command = o
		case 's':
			if out.service.name != "" {
				return nil, fmt.Errorf("two services (%s and %s) in one rule", out.service.flag, o.flag)
			}
			out.service = o
		default:
			out.rest = append(out.rest, o)
		}
	}
	return &out, nil
}

// parseAddrPort reads ipvsadm's ADDR:PORT (or [ADDR]:PORT); a real
// server's port may be left out (then it is 0 here).
func parseAddrPort(s string, portOptional bool) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil && portOptional {
		return netip.AddrPortFrom(a, 0), nil
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("%q is not an address:port", s)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not an IP address", host)
	}
	p, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not a port", s[i+1:])
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}
