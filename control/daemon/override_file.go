package daemon

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// stateVersion is the state file's format; a file of another is refused.
const stateVersion = 1

// stateFile is the state file's JSON: the overrides in a stable order so
// that the file diffs well.
type stateFile struct {
	Version   int             `json:"version"`
	Overrides []stateOverride `json:"overrides"`
}

type stateOverride struct {
	Service string    `json:"service"` // "tcp/10.0.0.10:80"
	Server  string    `json:"server"`  // "10.1.0.11:8080"
	Weight  *uint32   `json:"weight,omitempty"`
	State   string    `json:"state,omitempty"`
	Since   time.Time `json:"since,omitzero"`
}

// writeStateFile replaces path atomically (a temporary file in the same
// directory, synced, then renamed over it), so a crash leaves the old
// file or the new one, never half of one.
func writeStateFile(path string, set map[serverKey]serverOverride) error {
	if path == "" {
		return nil
	}
	body, err := json.MarshalIndent(encodeState(set), "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	_, err = tmp.Write(append(body, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	// The rename is durable once the directory is.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func encodeState(set map[serverKey]serverOverride) stateFile {
	f := stateFile{Version: stateVersion, Overrides: []stateOverride{}}
	for k, o := range set {
		f.Overrides = append(f.Overrides, stateOverride{Service: k.service, Server: netip.AddrPortFrom(k.addr, k.port).String(),
			Weight: o.weight, State: o.state, Since: o.since})
	}
	slices.SortFunc(f.Overrides, func(a, b stateOverride) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Server, b.Server))
	})
	return f
}

// readStateFile loads path; a missing file is no overrides.
func readStateFile(path string) (map[serverKey]serverOverride, error) {
	body, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[serverKey]serverOverride{}, nil
	}
	if err != nil {
		return nil, err
	}
	set, err := parseState(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}

// parseState decodes a state file strictly: an unknown key, version or
// value is an error, never silently dropped.
func parseState(body []byte) (map[serverKey]serverOverride, error) {
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("version %d, this govsd reads %d", f.Version, stateVersion)
	}
	set := make(map[serverKey]serverOverride, len(f.Overrides))
	for i, o := range f.Overrides {
		k, err := decodeOverride(o)
		if err != nil {
			return nil, fmt.Errorf("overrides[%d]: %w", i, err)
		}
		if _, dup := set[k]; dup {
			return nil, fmt.Errorf("overrides[%d]: %s %s listed twice", i, o.Service, o.Server)
		}
		set[k] = serverOverride{weight: o.Weight, state: o.State, since: o.Since}
	}
	return set, nil
}

func decodeOverride(o stateOverride) (serverKey, error) {
	key, err := parseServiceKey(o.Service)
	if err != nil {
		return serverKey{}, err
	}
	ap, err := netip.ParseAddrPort(o.Server)
	if err != nil {
		return serverKey{}, fmt.Errorf("server: %w", err)
	}
	switch {
	case o.State != admin.OverrideReady && o.State != admin.OverrideDrain && o.State != admin.OverrideMaint:
		return serverKey{}, fmt.Errorf("state: %q is not drain or maint", o.State)
	case o.Weight != nil && *o.Weight > admin.MaxWeight:
		return serverKey{}, fmt.Errorf("weight: %d is out of range 0..%d", *o.Weight, admin.MaxWeight)
	}
	return serverKey{key, ap.Addr(), ap.Port()}, nil
}

// openOverrides loads the state file at start. A file govsd cannot read
// does not stop it: it is set aside (path.corrupt) for the operator, and
// govsd starts with no overrides, as it would without the file.
func openOverrides(path string, log *slog.Logger) *overrideStore {
	s := newOverrideStore(path)
	set, err := readStateFile(path)
	if err != nil {
		aside := path + ".corrupt"
		rerr := os.Rename(path, aside)
		log.Error("state file unreadable; starting without runtime overrides", "err", err, "moved_to", aside, "move_err", rerr)
		return s
	}
	s.set = set
	return s
}
