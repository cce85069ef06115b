package migrate

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/govs-project/govs/control/config"
)

// notYetSupported loads the converted document with control/config, as
// govsd would, and reports every field it refuses against the directive
// the field came from. The conversion writes what a directive means under
// the key govs reads it from (or will); this is how the operator learns
// which of those govs cannot run today.
//
// The document has no eal or ports section (those describe the director,
// not the old configuration), so two ports covering the whole IPv4 space
// are added for the check; what VRRP says about its ports is left to the
// warning every interface directive already gets.
func notYetSupported(doc *node, ws *warnings) {
	probe := newMap(origin{})
	probe.child("eal", origin{}).set("lcores", "0-1", origin{})
	probe.set("ports", probePorts(doc), origin{})
	for i, k := range doc.keys {
		probe.set(k, doc.vals[i], doc.vals[i].at)
	}
	_, err := config.Parse(render(probe, ""))
	var cerr *config.Error
	if err == nil {
		return
	}
	if !errors.As(err, &cerr) {
		// Not a field problem: the output itself does not read as YAML.
		ws.add(origin{file: "(output)", directive: "yaml"}, "not readable by govs: %v", err)
		return
	}
	for _, fe := range cerr.Problems {
		if aboutMissingPort(fe) || underFwmarkService(doc, fe.Path) {
			continue
		}
		at := doc.lookup(fe.Path).at
		if at.file == "" {
			at = origin{file: "(output)", directive: fe.Path}
		}
		msg, _, _ := strings.Cut(fe.Msg, "; valid keys")
		ws.add(at, "not yet supported by govs (%s: %s)", fe.Path, msg)
	}
}

// aboutMissingPort matches the VRRP problems that only say the port an
// interface was translated to is not defined (it cannot be, here).
func aboutMissingPort(fe *config.FieldError) bool {
	return strings.HasPrefix(fe.Path, "vrrp.") &&
		(strings.Contains(fe.Msg, "no port named") || strings.Contains(fe.Msg, "is not in port") ||
			strings.Contains(fe.Msg, "has no kernel interface"))
}

// underFwmarkService matches problems of a service that is reported as
// a whole: a firewall-mark service has no VIP nor port to check.
func underFwmarkService(doc *node, path string) bool {
	if !strings.HasPrefix(path, "services[") {
		return false
	}
	end := strings.IndexByte(path, ']')
	svc := doc.lookup(path[:end+1])
	return svc.isMap && svc.get("fwmark") != nil
}

// probePorts are two ports whose subnets hold every address, with their
// own addresses chosen among those the document does not use.
func probePorts(doc *node) *node {
	used := map[string]bool{}
	collectScalars(doc, used)
	ports := newSeq(origin{})
	for i, base := range []string{"127.255.255.254", "255.255.255.254"} {
		a := netip.MustParseAddr(base)
		for used[a.String()] {
			a = a.Prev()
		}
		p := newMap(origin{})
		p.set("name", fmt.Sprintf("migrate%d", i), origin{})
		p.set("device", fmt.Sprintf("net_null%d", i), origin{})
		p.set("address", plain(a.String()+"/1"), origin{})
		ports.push(p, origin{})
	}
	return ports
}

func collectScalars(n *node, into map[string]bool) {
	if s, ok := n.scalar.(plain); ok {
		into[string(s)] = true
	}
	if s, ok := n.scalar.(string); ok {
		into[s] = true
	}
	for _, v := range n.vals {
		collectScalars(v, into)
	}
	for _, v := range n.items {
		collectScalars(v, into)
	}
}
