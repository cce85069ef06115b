package main

import (
	"strings"
	"testing"
)

func TestImportKeepalivedFile(t *testing.T) {
	code, out, errOut := runCtl("import", "keepalived", "../../control/migrate/testdata/keepalived/included.conf")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"services:\n", "  - vip: 10.0.0.110\n", "  - vip: 10.0.0.25\n", "      path: \"/status?probe=lvs&full=1#top\"\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "control/migrate/testdata/keepalived/conf.d/20-smtp.conf:7: directive SMTP_CHECK: unsupported (") {
		t.Errorf("stderr lacks the included file's warning:\n%s", errOut)
	}
}

func TestImportIpvsadmStdin(t *testing.T) {
	old := importStdin
	defer func() { importStdin = old }()
	importStdin = strings.NewReader("-A -u 10.0.0.1:53 -s rr\n-a -u 10.0.0.1:53 -r 10.1.0.1:53 -m -w 1\n-a -u 10.0.0.1:53 -r 10.1.0.2:53 -m -w 1 --tun-type gue\n")
	code, out, errOut := runCtl("import", "ipvsadm", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "protocol: udp\n    port: 53\n    scheduler: rr\n") || strings.Count(out, "- address:") != 2 {
		t.Errorf("stdout:\n%s", out)
	}
	if errOut != "stdin:3: directive --tun-type: unsupported (govs tunnels are IPIP only)\n" {
		t.Errorf("stderr %q, want the one warning", errOut)
	}
}

func TestImportErrors(t *testing.T) {
	old := importStdin
	defer func() { importStdin = old }()
	importStdin = strings.NewReader("-A -t 10.0.0.1:80\n-a -t 10.0.0.9:80 -r 10.1.0.1:80\n")
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"import", "ipvsadm"}, 1, "stdin:2: service tcp 10.0.0.9:80 is not defined by an earlier -A"},
		{[]string{"import"}, 2, "usage: govsctl import ipvsadm|keepalived"},
		{[]string{"import", "haproxy"}, 2, "want ipvsadm or keepalived"},
		{[]string{"import", "keepalived", "a", "b"}, 2, `unexpected argument "b"`},
		{[]string{"import", "keepalived", "/nonexistent/keepalived.conf"}, 1, "no such file"},
	} {
		code, _, errOut := runCtl(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.err)
		}
	}
}
