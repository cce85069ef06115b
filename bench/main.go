// Command bench is govs's benchmark harness (`make bench`, DESIGN.md
// section 5): it replays generated pcaps through net_pcap into one worker
// lcore of govsd and, in the same run, into dpdk-testpmd (5tswap and io) as
// the reference, and reports medians of repeats and their ratios.
//
// It needs root, hugepages and Debian's DPDK (what `make test` needs).
// BENCH_QUICK=1 (or -quick) runs a ~2 minute subset: 64k flows, 1 repeat.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// startTimeout bounds a DPDK process's start: loading a pcap of millions of
// frames into mbufs takes seconds.
const startTimeout = 180 * time.Second

// harness holds the settings of a run and its shared state.
type harness struct {
	quick            bool
	repeats          int
	warmup, windows  int // seconds of warm-up; number of 1 s windows
	stallQuiet       int // seconds
	stallBusy        int
	flows            []int
	synFlows         int
	healthSecs       int           // seconds the health case measures
	healthPeriod     time.Duration // between its samples; 0: its default
	hugepagesTarget  int
	reservePages     int // hugepages left to other users of the machine
	only             map[string]bool
	repoRoot         string
	govsd, testpmd   string
	cacheDir, runDir string
	outPath          string
	noBuild          bool
	staticNeighbors  bool
	govsdEnv         []string
	profile, pprof   bool
	note             string
	govsdSrc         string // the binary the frozen copy h.govsd was taken from

	nPrefix     atomic.Int64
	stopping    atomic.Bool
	stopCh      chan struct{}
	log         io.Writer
	hp          *hugepages
	runFailed   bool
	cleanupDone atomic.Bool
	// atExit are teardowns still to run (namespaces of a lab), run by
	// cleanup after the children are stopped; see atCleanup.
	atExitMu sync.Mutex
	atExit   map[int]func()
	nAtExit  int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == healthServerCmd { // the health case's HTTP server
		os.Exit(runHealthServer(os.Args[2:]))
	}
	os.Exit(run())
}

func run() int {
	h, err := newHarness(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-sigs
		h.logf("signal: stopping (again to abort at once)")
		h.stopping.Store(true)
		close(h.stopCh)
		<-sigs
		h.cleanup()
		os.Exit(130)
	}()
	defer h.cleanup()
	res, err := h.runAll()
	if res != nil {
		h.printResults(res)
		switch {
		case errors.Is(err, errInterrupted):
			h.logf("interrupted: %s not written", h.outPath)
		case len(res.Runs) == 0 && len(res.SYN) == 0 && len(res.Plan.Cases) > 0:
			h.logf("no govsd measurement succeeded: %s not written", h.outPath)
		default:
			if werr := h.writeReport(res); werr != nil {
				h.logf("writing %s: %v", h.outPath, werr)
				err = errors.Join(err, werr)
			} else {
				h.logf("wrote %s", h.outPath)
			}
		}
	}
	if err != nil {
		h.runFailed = true
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if res != nil && len(res.Errs) > 0 {
		h.runFailed = true
		return 1
	}
	return 0
}

func newHarness(args []string) (*harness, error) {
	quickEnv := os.Getenv("BENCH_QUICK")
	quickDefault := quickEnv != "" && quickEnv != "0"
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", quickDefault, "~2 minute run: 64k flows, 1 repeat (also BENCH_QUICK=1)")
	repeats := fs.Int("repeats", 0, "repeats of every measurement (default 3, quick 1)")
	warmup := fs.Int("warmup", 0, "seconds of warm-up before the windows (default 3, quick 2)")
	windows := fs.Int("windows", 0, "1-second windows per measurement (default 5, quick 3)")
	flowsFlag := fs.String("flows", "", "flow counts of the established-flow pcaps (default 65536,1048576; quick 65536)")
	synFlows := fs.Int("syn-flows", 0, "distinct SYNs of the syn pcap (default 2097152)")
	hp := fs.Int("hugepages", 0, "raise nr_hugepages to this for the run, restored after (default 3072, quick 1536; never lowered)")
	reserve := fs.Int("reserve-pages", 256, "free hugepages left to other users of the machine")
	only := fs.String("only", "", "comma-separated subset: nat-in,nat-out,tun,dr,syn,stall,capacity,conntable,synflood,health,sync (stall includes the reference C loop; conntable compares the connection table with rte_hash; synflood: legitimate new connections under a spoofed SYN flood, in network namespaces; health: 2000 real servers checked every second; sync: connection sync's cost on the lcore)")
	healthSecs := fs.Int("health-secs", 0, "seconds the health case measures (default 60, quick 20; 600 for issue 9's 10 minutes)")
	healthPeriod := fs.Duration("health-period", 0, "time between the health case's samples (default 5s; 2s for runs under a minute); /metrics is scraped every 30s")
	cache := fs.String("cache", "", "directory for generated pcaps (default $XDG_CACHE_HOME/govs-bench or /tmp/govs-bench)")
	out := fs.String("out", "", "report file (default bench/RESULTS.md; quick: RESULTS-quick.md in the cache directory)")
	testpmd := fs.String("testpmd", "dpdk-testpmd", "testpmd binary")
	noBuild := fs.Bool("no-build", false, "use bin/govsd as it is")
	note := fs.String("note", "", "a remark printed at the top of the report (e.g. what the govsd binary carries)")
	profile := fs.Bool("profile", true, "record 5 s of govsd's worker lcore with perf after the first nat-in measurement")
	pprof := fs.Bool("pprof", false, "with -profile, also take Go's CPU profile of govsd (admin socket's /debug/pprof; the Go side only)")
	govsdBin := fs.String("govsd", "", "govsd binary to measure (default: bin/govsd, built first)")
	govsdEnv := fs.String("govsd-env", "", "space-separated VAR=value pairs for every govsd started, e.g. GODEBUG=cgocheck=0")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	h := &harness{quick: *quick, repeats: *repeats, warmup: *warmup, windows: *windows, synFlows: *synFlows,
		hugepagesTarget: *hp, reservePages: *reserve, noBuild: *noBuild, stopCh: make(chan struct{}), log: os.Stderr}
	def := func(v *int, full, q int) {
		if *v <= 0 {
			*v = full
			if h.quick {
				*v = q
			}
		}
	}
	def(&h.repeats, 3, 1)
	def(&h.warmup, 3, 2)
	def(&h.windows, 5, 3)
	def(&h.synFlows, 2<<20, 2<<20)
	h.healthSecs, h.healthPeriod = *healthSecs, *healthPeriod
	def(&h.healthSecs, 60, 20)
	def(&h.hugepagesTarget, 3072, 1536)
	// Phases of equal length: their counts of gaps compare directly.
	h.stallQuiet, h.stallBusy = 20, 20
	if h.quick {
		h.stallQuiet, h.stallBusy = 8, 8
	}
	fl := *flowsFlag
	if fl == "" {
		fl = "65536,1048576"
		if h.quick {
			fl = "65536"
		}
	}
	for _, f := range strings.Split(fl, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-flows: bad count %q", f)
		}
		h.flows = append(h.flows, n)
	}
	if *only != "" {
		h.only = map[string]bool{}
		for _, c := range strings.Split(*only, ",") {
			h.only[strings.TrimSpace(c)] = true
		}
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	h.repoRoot = root
	h.govsd = filepath.Join(root, "bin", "govsd")
	h.govsdEnv = strings.Fields(*govsdEnv)
	h.profile, h.pprof = *profile, *pprof
	h.note = *note
	if *govsdBin != "" {
		h.govsd, h.noBuild = *govsdBin, true
	}
	h.testpmd = *testpmd
	h.cacheDir = *cache
	if h.cacheDir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			base = os.TempDir()
		}
		h.cacheDir = filepath.Join(base, "govs-bench")
	}
	h.outPath = *out
	if h.outPath == "" {
		h.outPath = filepath.Join(root, "bench", "RESULTS.md")
		if h.quick {
			h.outPath = filepath.Join(h.cacheDir, "RESULTS-quick.md")
		}
	}
	return h, nil
}

// repoRoot is the directory of the govs go.mod at or above the working
// directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/govs-project/govs") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the govs repository (no go.mod of github.com/govs-project/govs above the working directory)")
		}
		dir = parent
	}
}

func (h *harness) wants(name string) bool { return h.only == nil || h.only[name] }

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (h *harness) newPrefix() string {
	return fmt.Sprintf("govsbench%d_%d", os.Getpid(), h.nPrefix.Add(1))
}

func (h *harness) logPath(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '_'
		}
		return r
	}, name)
	return filepath.Join(h.runDir, fmt.Sprintf("%03d-%s.log", h.nPrefix.Load(), name))
}

func (h *harness) interrupted() error {
	if h.stopping.Load() {
		return errInterrupted
	}
	return nil
}

// sleep waits d unless the run is interrupted.
func (h *harness) sleep(d time.Duration) error {
	select {
	case <-h.stopCh:
		return errInterrupted
	case <-time.After(d):
		return nil
	}
}

// cleanup stops every child, removes their runtime directories, restores
// nr_hugepages and removes the run directory (kept when something failed,
// for its logs). Safe to call twice.
func (h *harness) cleanup() {
	if h.cleanupDone.Swap(true) {
		return
	}
	stopAllChildren()
	h.atExitMu.Lock()
	ids := make([]int, 0, len(h.atExit))
	for id := range h.atExit {
		ids = append(ids, id)
	}
	h.atExitMu.Unlock()
	slices.Sort(ids)
	for _, id := range slices.Backward(ids) {
		h.runAtExit(id)
	}
	if h.hp != nil {
		if err := h.hp.restore(); err != nil {
			h.logf("restoring nr_hugepages to %d: %v", h.hp.prev, err)
		} else if h.hp.prev > 0 {
			h.logf("nr_hugepages back to %d", h.hp.prev)
		}
	}
	if h.runDir != "" {
		if h.runFailed {
			h.logf("logs kept in %s", h.runDir)
		} else {
			os.RemoveAll(h.runDir)
		}
	}
}

// atCleanup registers f to run at cleanup, also on a signal (after the
// children are stopped, the last registered first). The returned func runs
// f now, once, and unregisters it: a step's normal teardown.
func (h *harness) atCleanup(f func()) (runNow func()) {
	h.atExitMu.Lock()
	defer h.atExitMu.Unlock()
	if h.atExit == nil {
		h.atExit = map[int]func(){}
	}
	h.nAtExit++
	id := h.nAtExit
	h.atExit[id] = f
	return func() { h.runAtExit(id) }
}

func (h *harness) runAtExit(id int) {
	h.atExitMu.Lock()
	f := h.atExit[id]
	delete(h.atExit, id)
	h.atExitMu.Unlock()
	if f != nil {
		f()
	}
}

// preflight checks what the run needs and builds govsd.
func (h *harness) preflight() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (DPDK, hugepages); run as `sudo make bench` or on a machine set up by scripts/deps.sh")
	}
	if p, err := exec.LookPath(h.testpmd); err != nil {
		return fmt.Errorf("%s not found: apt-get install dpdk (scripts/deps.sh does)", h.testpmd)
	} else {
		h.testpmd = p
	}
	if !h.noBuild {
		h.logf("building govsd")
		cmd := exec.Command("go", "build", "-o", "bin/", "./cmd/govsd", "./cmd/govsctl")
		cmd.Dir = h.repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	if _, err := os.Stat(h.govsd); err != nil {
		return fmt.Errorf("%s: %w (make build)", h.govsd, err)
	}
	// Measure a frozen copy: bin/govsd may be rebuilt while the bench runs.
	if err := os.MkdirAll(h.cacheDir, 0o755); err != nil {
		return err
	}
	frozen := filepath.Join(h.cacheDir, "govsd")
	if err := copyFile(h.govsd, frozen); err != nil {
		return fmt.Errorf("copy %s: %w", h.govsd, err)
	}
	h.govsdSrc, h.govsd = h.govsd, frozen
	dir, err := os.MkdirTemp("", "govs-bench-run-")
	if err != nil {
		return err
	}
	h.runDir = dir
	if runtime.NumCPU() >= 2 {
		if err := pinToCPU0(); err != nil {
			h.logf("could not pin the bench to CPU 0: %v", err)
		}
	}
	h.staticNeighbors = staticNeighborsSupported()
	if !h.staticNeighbors {
		h.logf("WARNING: this govsd does not accept ports[].static_neighbors: nobody answers ARP on a pcap vdev, so every packet will be dropped as neigh_unresolved and the numbers measure the drop path")
	}
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
