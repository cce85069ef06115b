package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestChildLogAndStop(t *testing.T) {
	dir := t.TempDir()
	c, err := startChild("sh", filepath.Join(dir, "sh.log"), "", []string{"BENCH_TEST_WORD=ready"},
		"sh", "-c", `echo "$BENCH_TEST_WORD"; exec sleep 30`)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.waitLog("ready", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	c.stop(5 * time.Second)
	if !c.exited() || time.Since(t0) > 4*time.Second {
		t.Fatalf("child not stopped by SIGTERM to its group (exited %v after %v)", c.exited(), time.Since(t0))
	}
	childrenMu.Lock()
	n := len(children)
	childrenMu.Unlock()
	if n != 0 {
		t.Fatalf("%d children still registered", n)
	}
}

func TestChildLogTailCutsGoroutineDump(t *testing.T) {
	dir := t.TempDir()
	log := "EAL: something\ngovsd: ports[0]: it failed\nSIGSEGV: segmentation violation\n\ngoroutine 1 gp=0x1 [running]:\nmain.main()\n"
	path := filepath.Join(dir, "x.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &child{logPath: path}
	got := c.logTail(2)
	if got != "govsd: ports[0]: it failed\nSIGSEGV: segmentation violation" {
		t.Fatalf("logTail = %q", got)
	}
	if strings.Contains(c.logTail(10), "goroutine") {
		t.Fatal("dump not cut")
	}
}

func TestWaitLogReportsExit(t *testing.T) {
	dir := t.TempDir()
	c, err := startChild("sh", filepath.Join(dir, "sh.log"), "", nil, "sh", "-c", "echo bad config; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop(time.Second)
	err = c.waitLog("govsd ready", 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "bad config") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("waitLog = %v", err)
	}
}
