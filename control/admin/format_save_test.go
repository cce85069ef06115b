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
