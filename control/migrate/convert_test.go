package migrate

import (
	"errors"
	"strings"
	"testing"
)

func TestIpvsadmOptions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // command service rest...
		err  string
	}{
		{"-A -t 10.0.0.1:80 -s wlc", "add-service tcp-service=10.0.0.1:80 scheduler=wlc", ""},
		{"--add-service --udp-service 10.0.0.1:53 --scheduler=rr -o", "add-service udp-service=10.0.0.1:53 scheduler=rr ops=", ""},
		{"-A -t 10.0.0.1:80 -p -s rr", "add-service tcp-service=10.0.0.1:80 persistent= scheduler=rr", ""},
		{"-A -t 10.0.0.1:80 -p 60", "add-service tcp-service=10.0.0.1:80 persistent=60", ""},
		{"-A -t 10.0.0.1:80 -p", "add-service tcp-service=10.0.0.1:80 persistent=", ""},
		{"-a -f 1 -r 10.1.0.1 -g -w 0 -x 10 -y 5", "add-server fwmark-service=1 real-server=10.1.0.1 gatewaying= weight=0 u-threshold=10 l-threshold=5", ""},
		{"-A -t 10.0.0.1:80 -s", "", "-s needs a value"},
		{"-A -t 10.0.0.1:80 --bogus", "", "unknown option --bogus"},
		{"-A -a -t 10.0.0.1:80", "", "two commands"},
		{"-A -t 10.0.0.1:80 -u 10.0.0.1:53", "", "two services"},
		{"-A -t 10.0.0.1:80 wlc", "", `"wlc" is not an option`},
	} {
		opts, err := parseIpvsadmOptions(strings.Fields(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		got := []string{opts.command.name, opts.service.name + "=" + opts.service.value}
		for _, o := range opts.rest {
			got = append(got, o.name+"="+o.value)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, strings.Join(got, " "), tc.want)
		}
	}
}

func TestIpvsadmSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
		msg  string
	}{
		{"-A -t 10.0.0.1:80\n-a -t 10.0.0.2:80 -r 10.1.0.1:80", 2, "not defined by an earlier -A"},
		{"# saved\n\n-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80", 4, "already defined"},
		{"-A -t 10.0.0.1", 1, "not an address:port"},
		{"-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -m", 2, "no real server"},
		{"-A -t 10.0.0.1:80 -p ten", 1, "not a number of seconds"},
		{"-s wlc", 1, "no command"},
		{"-A -s wlc", 1, "no service"},
		{"-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -w heavy", 2, "not an integer"},
	} {
		_, err := ConvertIpvsadm("rules", []byte(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != tc.line || se.File != "rules" || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%q: error %v, want rules:%d: ...%s", tc.in, err, tc.line, tc.msg)
		}
	}
}

// TestIpvsadmDefaults: what ipvsadm assumes is written out.
func TestIpvsadmDefaults(t *testing.T) {
	r, err := ConvertIpvsadm("-", []byte("-C\n-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.1.0.1\n-e -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 5\n-D -t 10.0.0.1:80"))
	if err != nil {
		t.Fatal(err)
	}
	out := string(r.YAML)
	for _, want := range []string{"scheduler: wlc", "port: 80\n        weight: 5\n        method: nat"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "- address:") != 1 {
		t.Errorf("-e did not replace the server it edits:\n%s", out)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].String() != "-:5: directive -D: unsupported (only rules that add services and servers describe a configuration)" {
		t.Errorf("warnings %v, want the -D reported", r.Warnings)
	}
}

func TestKeepalivedSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
	}{
		{"virtual_server 10.0.0.1 80 {\n  real_server 10.1.0.1 80 {\n  }\n", 1},
		{"virtual_server 10.0.0.1 80 {\n}\n}\n", 3},
		{"vrrp_script x {\n script \"oops\n}\n", 2},
	} {
		_, err := ConvertKeepalived("k.conf", []byte(tc.in), nil)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != tc.line || se.File != "k.conf" {
			t.Errorf("%q: error %v, want one at k.conf:%d", tc.in, err, tc.line)
		}
	}
}

// TestKeepalivedWarnings: what is not translated is reported with its
// line, and nothing without a warning is left out.
func TestKeepalivedWarnings(t *testing.T) {
	in := `virtual_server 10.0.0.1 80 {
  delay_loop 5
  lb_algo bogus
  bogus_option 1
  real_server 10.1.0.1 80 {
    weight heavy
    notify_up /bin/up.sh nobody
  }
}
virtual_server group NOPE {
}
frobnicate {
}
`
	r, err := ConvertKeepalived("k.conf", []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range r.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"k.conf:2: directive delay_loop: ignored: no checker below it to apply it to",
		"k.conf:3: directive lb_algo: not yet supported by govs (services[0].scheduler: unknown scheduler \"bogus\"",
		"k.conf:4: directive bogus_option: unsupported (not a virtual_server option govs has)",
		"k.conf:6: directive weight: \"heavy\" is not an integer",
		"k.conf:7: directive notify_up: user nobody: unsupported",
		"k.conf:10: directive virtual_server: virtual_server_group \"NOPE\" is not defined",
		"k.conf:12: directive frobnicate: unsupported (not a keepalived block govs translates)",
	}
	if len(got) != len(want) {
		t.Fatalf("warnings:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d: %s\nwant prefix %s", i, got[i], want[i])
		}
	}
	if !strings.Contains(string(r.YAML), "notify_up: /bin/up.sh\n") {
		t.Errorf("notify_up not converted without its user:\n%s", r.YAML)
	}
}
