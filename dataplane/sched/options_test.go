package sched

import (
	"slices"
	"strings"
	"testing"
)

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        Options
		err      string // "" when accepted
		fallback bool
		port     bool
	}{
		{name: "sh", o: Options{Flags: []string{"sh-fallback"}}, fallback: true},
		{name: "sh", o: Options{Flags: []string{"sh-port", "sh-fallback"}}, fallback: true, port: true},
		{name: "mh", o: Options{Flags: []string{"mh-port"}, MHTableSize: 509}, port: true},
		{name: "mh", o: Options{MHTableSize: 65521}},
		{name: "wlc", o: Options{}},
		{name: "sh", o: Options{Flags: []string{"mh-port"}}, err: `flag "mh-port" is not one of scheduler sh's (sh-fallback, sh-port)`},
		{name: "dh", o: Options{Flags: []string{"sh-port"}}, err: `flag "sh-port": scheduler dh takes no flags`},
		{name: "wlc", o: Options{Flags: []string{""}}, err: "takes no flags"},
		{name: "mh", o: Options{MHTableSize: 256}, err: "mh table size 256 is none of 251, 509"},
		{name: "sh", o: Options{MHTableSize: 251}, err: "for scheduler mh only, not sh"},
		{name: "nope", o: Options{}, err: `unknown scheduler "nope"`},
	} {
		err := CheckOptions(tc.name, tc.o)
		tb, cerr := Compile(tc.name, weighted([]uint32{1, 1}), tc.o)
		if tc.err == "" {
			if err != nil || cerr != nil {
				t.Errorf("%s %+v: %v / %v", tc.name, tc.o, err, cerr)
			} else if tb.Fallback != tc.fallback || tb.Port != tc.port {
				t.Errorf("%s %+v: fallback %v port %v", tc.name, tc.o, tb.Fallback, tb.Port)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || cerr == nil || cerr.Error() != err.Error() {
			t.Errorf("%s %+v: %v / %v, want %q", tc.name, tc.o, err, cerr, tc.err)
		}
	}
	if got := Flags("mh"); !slices.Equal(got, []string{"mh-fallback", "mh-port"}) {
		t.Errorf("Flags(mh) = %v", got)
	}
	if Flags("rr") != nil {
		t.Errorf("Flags(rr) = %v", Flags("rr"))
	}
}

// The connection-count schedulers are decided by the lcores: no table.
func TestDynamicKinds(t *testing.T) {
	for name, kind := range map[string]Kind{"lc": LeastConn, "wlc": WeightedLeastConn, "sed": ShortestDelay,
		"nq": NeverQueue, "fo": Failover, "ovf": Overflow, "twos": TwoChoices, "lblc": Locality, "lblcr": LocalityReplicated} {
		tb := mustCompile(t, name, []uint32{3, 1})
		if tb.Kind != kind || tb.Entries != nil {
			t.Errorf("%s: kind %d entries %v", name, tb.Kind, tb.Entries)
		}
	}
}
