package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govs-project/govs/control/admin"
)

type fakeSource struct{ reloadErr error }

func (fakeSource) Status() admin.Status {
	return admin.Status{Ready: true, Generation: 2, Workers: []uint{1},
		Ports: []admin.PortStatus{{Name: "wan", Device: "net_tap0", Address: "10.0.0.1/24", MAC: "02:00:00:00:00:01", LinkUp: true}}}
}

func (fakeSource) Services() []admin.Service {
	return []admin.Service{{Name: "web", VIP: "10.0.0.100", Protocol: "tcp", Port: 80, Scheduler: "wrr",
		Stats:       admin.Counters{Conns: 1000},
		RealServers: []admin.RealServer{{Address: "10.1.0.11", Port: 8080, Method: "nat", Weight: 1}}}}
}

func (fakeSource) Stats() admin.Stats {
	return admin.Stats{Lcores: []admin.LcoreStats{{Lcore: 1, RxPackets: 5, Drops: map[string]uint64{"no_service": 2}}},
		Drops: map[string]uint64{"no_service": 2}}
}

func (f fakeSource) Reload() error { return f.reloadErr }

func daemon(t *testing.T, src admin.Source) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "govsd.sock")
	s := admin.NewServer(src, nil)
	if err := s.Serve(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return path
}

func runCtl(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommands(t *testing.T) {
	sock := daemon(t, fakeSource{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-s", sock}, "  -> 10.1.0.11:8080               Masq    1"},
		{[]string{"-s", sock, "list"}, "TCP  10.0.0.100:80 wrr"},
		{[]string{"-s", sock, "stats"}, "TCP  10.0.0.100:80                    1000"},
		{[]string{"-s", sock, "status"}, "govsd ready, config generation 2"},
		{[]string{"-s", sock, "lcores"}, "no_service"},
		{[]string{"-s", sock, "reload"}, "configuration reloaded"},
		{[]string{"stats", "-s", sock}, "TCP  10.0.0.100:80"}, // flags after the command
	} {
		code, out, errOut := runCtl(tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("govsctl %q: exit %d, stdout\n%s\nstderr %s\nwant %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

func TestJSON(t *testing.T) {
	sock := daemon(t, fakeSource{})
	for cmd, check := range map[string]func([]byte) error{
		"list":   func(b []byte) error { var v []admin.Service; return json.Unmarshal(b, &v) },
		"status": func(b []byte) error { var v admin.Status; return json.Unmarshal(b, &v) },
		"lcores": func(b []byte) error { var v admin.Stats; return json.Unmarshal(b, &v) },
		"reload": func(b []byte) error {
			var v map[string]bool
			if err := json.Unmarshal(b, &v); err != nil || !v["ok"] {
				return errors.New("not ok")
			}
			return nil
		},
	} {
		code, out, errOut := runCtl("-s", sock, "-json", cmd)
		if code != 0 || check([]byte(out)) != nil {
			t.Errorf("-json %s: exit %d %s %s", cmd, code, out, errOut)
		}
	}
}

func TestEnvSocket(t *testing.T) {
	t.Setenv("GOVS_SOCKET", daemon(t, fakeSource{}))
	if code, out, errOut := runCtl("list"); code != 0 || !strings.Contains(out, "TCP  10.0.0.100:80") {
		t.Errorf("exit %d %s %s", code, out, errOut)
	}
}

func TestFailures(t *testing.T) {
	t.Setenv("GOVS_SOCKET", "")
	absent := filepath.Join(t.TempDir(), "absent.sock")
	bad := daemon(t, fakeSource{reloadErr: errors.New("services[0].port: must be between 1 and 65535, got 0")})
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"frobnicate"}, 2, "unknown command \"frobnicate\"\nusage: govsctl"},
		{[]string{"list", "extra"}, 2, "unexpected argument \"extra\""},
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"-s", absent}, 1, "cannot reach govsd at " + absent},
		{[]string{"-s", absent, "status"}, 1, "(is govsd running?)"},
		{[]string{"-s", bad, "reload"}, 1, "govsctl reload: govsd: services[0].port: must be between 1 and 65535, got 0"},
		{[]string{"status"}, 1, "cannot reach govsd at /run/govs/govsd.sock"}, // the default
		{[]string{"-h"}, 0, "commands:"},
	} {
		code, _, errOut := runCtl(tc.args...)
		if tc.args[0] == "status" && code == 0 {
			continue // a real govsd happens to run on this host
		}
		if code != tc.code || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("govsctl %q: exit %d, stderr\n%s\nwant exit %d and %q", tc.args, code, errOut, tc.code, tc.stderr)
		}
	}
}

func TestRealserverCLI(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{[]string{"realserver"}, 2, "realserver needs a verb"},
		{[]string{"realserver", "frob"}, 2, "unknown realserver verb \"frob\""},
		{[]string{"realserver", "setup", "--vip", "10.0.0.100"}, 2, "setup needs --mode dr or --mode tun"},
		{[]string{"realserver", "setup", "--mode", "nat", "--vip", "10.0.0.100"}, 2, "unknown mode \"nat\""},
		{[]string{"realserver", "setup", "--mode", "dr"}, 2, "setup needs at least one --vip"},
		{[]string{"realserver", "setup", "--mode", "dr", "--vip", "10.0.0.300"}, 2, "VIP \"10.0.0.300\" is not an IPv4 address"},
		{[]string{"realserver", "setup", "--mode", "tun", "--decap", "ebpf", "--vip", "10.0.0.1"}, 2, "unknown decapsulator \"ebpf\""},
		{[]string{"realserver", "status", "--state-dir", dir}, 0, "dr: not set up"},
		{[]string{"-json", "realserver", "status", "--state-dir", dir}, 0, "\"set_up\": false"},
		{[]string{"realserver", "teardown", "--state-dir", dir}, 0, "realserver dr: nothing to tear down"},
		{[]string{"realserver", "setup", "-h"}, 0, "-vip address"},
	} {
		code, out, errOut := runCtl(tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.out) {
			t.Errorf("govsctl %q: exit %d\n%s%s\nwant exit %d and %q", tc.args, code, out, errOut, tc.code, tc.out)
		}
	}
}
