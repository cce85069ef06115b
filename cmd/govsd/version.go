package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// commit is set by make build (-ldflags -X main.commit=...) for builds
// without Go's VCS stamp (GOFLAGS=-buildvcs=false).
var commit string

// version names the build: the module version (a tagged release) or the
// commit Go embedded from the checkout (vcs.revision, "+dirty" when the
// tree had changes), and the Go that built it.
func version() string {
	v, rev, dirty := "devel", commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev
		if dirty {
			v += "+dirty"
		}
	}
	return fmt.Sprintf("govsd %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
