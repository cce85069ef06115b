package admin

import (
	"strings"
	"testing"
)

func TestFormatRules(t *testing.T) {
	svcs := []Service{
		{VIP: "10.0.0.100", Protocol: "udp", Port: 53, Scheduler: "rr", RealServers: []RealServer{
			{Address: "10.1.0.12", Port: 53, Method: "dr", Weight: 1},
			{Address: "10.1.0.11", Port: 53, Method: "tun", Weight: 0},
		}},
		{VIP: "10.0.0.100", Protocol: "tcp", Port: 80, Scheduler: "wlc", RealServers: []RealServer{
			{Address: "10.1.0.11", Port: 8080, Method: "nat", Weight: 3},
		}},
	}
	var b strings.Builder
	if err := FormatRules(&b, svcs); err != nil {
		t.Fatal(err)
	}
	want := `-A -t 10.0.0.100:80 -s wlc
-a -t 10.0.0.100:80 -r 10.1.0.11:8080 -m -w 3
-A -u 10.0.0.100:53 -s rr
-a -u 10.0.0.100:53 -r 10.1.0.11:53 -i -w 0
-a -u 10.0.0.100:53 -r 10.1.0.12:53 -g -w 1
`
	if b.String() != want {
		t.Errorf("FormatRules:\n%s\nwant\n%s", b.String(), want)
	}
}

// The IPVS options of a service and a server's thresholds, as ipvsadm -Ln
// prints them after the scheduler and -Sn as options.
func TestFormatOptions(t *testing.T) {
	svcs := []Service{{VIP: "10.0.0.100", Protocol: "tcp", Port: 443, Scheduler: "sh", SchedulerFlags: []string{"sh-fallback", "sh-port"},
		PersistenceTimeout: 300, PersistenceMask: "255.255.255.0", RealServers: []RealServer{
			{Address: "10.1.0.11", Port: 443, Method: "dr", Weight: 1, UpperThreshold: 100, LowerThreshold: 50},
		}}, {VIP: "10.0.0.100", Protocol: "udp", Port: 53, Scheduler: "rr", OnePacket: true}}
	var rules, list strings.Builder
	if err := FormatRules(&rules, svcs); err != nil {
		t.Fatal(err)
	}
	if err := FormatList(&list, svcs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"-A -t 10.0.0.100:443 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0\n",
		"-a -t 10.0.0.100:443 -r 10.1.0.11:443 -g -w 1 -x 100 -y 50\n",
		"-A -u 10.0.0.100:53 -s rr -o\n",
	} {
		if !strings.Contains(rules.String(), want) {
			t.Errorf("rules lack %q:\n%s", want, rules.String())
		}
	}
	for _, want := range []string{
		"TCP  10.0.0.100:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n",
		"UDP  10.0.0.100:53 rr ops\n",
	} {
		if !strings.Contains(list.String(), want) {
			t.Errorf("list lacks %q:\n%s", want, list.String())
		}
	}
}
