package realserver

import (
	"encoding/json"
	"fmt"
	"io"
)

// ModeStatus is what Status reports for one mode.
type ModeStatus struct {
	Mode       Mode        `json:"mode"`
	StateFile  string      `json:"state_file"`
	SetUp      bool        `json:"set_up"`
	State      *State      `json:"state,omitempty"`
	DecapAlive bool        `json:"decap_alive,omitempty"`
	DecapStats *DecapStats `json:"decap_stats,omitempty"`
}

// Inspect reports the state of o.Mode (every mode if empty).
func Inspect(o Options) ([]ModeStatus, error) {
	o, err := o.normalize(false)
	if err != nil {
		return nil, err
	}
	nsid, err := netnsID()
	if err != nil {
		return nil, err
	}
	modes := []Mode{DR, TUN}
	if o.Mode != "" {
		modes = []Mode{o.Mode}
	}
	var res []ModeStatus
	for _, m := range modes {
		ms := ModeStatus{Mode: m, StateFile: statePath(o.StateDir, m)}
		s, err := loadState(o.StateDir, m)
		if err != nil {
			return nil, err
		}
		if s != nil && s.Netns != nsid {
			return nil, fmt.Errorf("%s belongs to network namespace %s, this one is %s: use --state-dir", ms.StateFile, s.Netns, nsid)
		}
		if s != nil {
			ms.SetUp, ms.State = true, s
			if s.Decap != nil {
				ms.DecapAlive = s.Decap.alive()
				if st, err := LoadDecapStats(s.Decap.StatsFile); err == nil {
					ms.DecapStats = &st
				}
			}
		}
		res = append(res, ms)
	}
	return res, nil
}

// Status prints what is set up, as text or JSON.
func Status(o Options, out io.Writer, asJSON bool) error {
	res, err := Inspect(o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	for _, ms := range res {
		if !ms.SetUp {
			fmt.Fprintf(out, "%s: not set up (no %s)\n", ms.Mode, ms.StateFile)
			continue
		}
		s := ms.State
		fmt.Fprintf(out, "%s: set up for %s since %s (%s, network namespace %s)\n",
			ms.Mode, vipList(s.VIPs), s.Since.Format("2006-01-02 15:04:05Z"), ms.StateFile, s.Netns)
		if s.KernelTunnel != "" {
			fmt.Fprintf(out, "  kernel ipip device %s\n", s.KernelTunnel)
		}
		if d := s.Decap; d != nil {
			state := "running"
			if !ms.DecapAlive {
				state = "NOT RUNNING (setup again restarts it)"
			}
			fmt.Fprintf(out, "  decapsulator pid %d %s, IPIP -> %s, log %s\n", d.Pid, state, d.Tun, d.Log)
			if ms.DecapStats != nil {
				fmt.Fprintf(out, "  %v\n", *ms.DecapStats)
			}
		}
		for _, a := range s.Addresses {
			fmt.Fprintf(out, "  address %s on %s\n", a.Address, a.Interface)
		}
		for _, l := range s.Links {
			fmt.Fprintf(out, "  created link %s\n", l)
		}
		for _, l := range s.LinksUp {
			fmt.Fprintf(out, "  set link %s up\n", l)
		}
		for _, c := range s.Sysctls {
			fmt.Fprintf(out, "  %s=%s (was %s)\n", c.Name, c.Value, c.Previous)
		}
	}
	return nil
}
