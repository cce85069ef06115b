package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// directorSample is one look at the director during the flood. The lcore
// counters are read from the stats JSON by name, so a counter this govsd
// does not report (evicted, flood_active on an older build) shows as
// missing instead of as zero.
type directorSample struct {
	At                  time.Time
	Rx, Created, Conns  uint64 // the worker lcore's rx_packets, conns_created, conns
	MaxPollGapUs        uint64
	Evicted             uint64
	HasEvicted          bool
	FloodActive         bool
	HasFloodActive      bool
	Drops               map[string]uint64
	WanRx, WanRxDropped uint64 // the WAN port's rx_packets, rx_missed + rx_nombuf
}

// parseLcoreStats reads the one worker lcore of a /v1/stats reply into s.
func parseLcoreStats(body []byte, s *directorSample) error {
	var st struct {
		Lcores []map[string]json.RawMessage `json:"lcores"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	if len(st.Lcores) != 1 {
		return fmt.Errorf("stats: %d worker lcores, want 1", len(st.Lcores))
	}
	l := st.Lcores[0]
	for _, f := range []struct {
		key string
		dst *uint64
		has *bool
	}{
		{"rx_packets", &s.Rx, nil}, {"conns_created", &s.Created, nil}, {"conns", &s.Conns, nil},
		{"evicted", &s.Evicted, &s.HasEvicted}, {"max_poll_gap_us", &s.MaxPollGapUs, new(bool)},
	} {
		raw, ok := l[f.key]
		if !ok {
			if f.has == nil {
				return fmt.Errorf("stats: no %s", f.key)
			}
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return fmt.Errorf("stats: %s: %w", f.key, err)
		}
		if f.has != nil {
			*f.has = true
		}
	}
	if raw, ok := l["flood_active"]; ok {
		s.HasFloodActive = json.Unmarshal(raw, &s.FloodActive) == nil
	}
	if raw, ok := l["drops"]; ok {
		if err := json.Unmarshal(raw, &s.Drops); err != nil {
			return fmt.Errorf("stats: drops: %w", err)
		}
	}
	return nil
}

// sampleDirector reads the worker's counters and the WAN port's.
func sampleDirector(g *govsd) (directorSample, error) {
	s := directorSample{At: time.Now()}
	body, err := g.adm.Do(http.MethodGet, "/v1/stats")
	if err != nil {
		return s, err
	}
	if err := parseLcoreStats(body, &s); err != nil {
		return s, err
	}
	st, err := g.adm.Status()
	if err != nil {
		return s, err
	}
	for _, p := range st.Ports {
		if p.Name == "wan" {
			s.WanRx, s.WanRxDropped = p.RxPackets, p.RxMissed+p.RxNoMbuf
		}
	}
	return s, nil
}

// directorDelta is what the director counted between two samples.
type directorDelta struct {
	Secs                float64
	Rx, Created         uint64
	Evicted             uint64
	HasEvicted          bool
	TableFull           uint64            // drops conn_table_full
	Drops               map[string]uint64 // every reason that grew
	WanRx, WanRxDropped uint64
}

func deltaOf(a, b directorSample) directorDelta {
	sub := func(x, y uint64) uint64 { return y - min(x, y) }
	d := directorDelta{Secs: b.At.Sub(a.At).Seconds(), Rx: sub(a.Rx, b.Rx), Created: sub(a.Created, b.Created),
		HasEvicted: a.HasEvicted && b.HasEvicted, Drops: dropsBetween(a.Drops, b.Drops),
		WanRx: sub(a.WanRx, b.WanRx), WanRxDropped: sub(a.WanRxDropped, b.WanRxDropped)}
	if d.HasEvicted {
		d.Evicted = sub(a.Evicted, b.Evicted)
	}
	d.TableFull = d.Drops["conn_table_full"]
	return d
}

func (d directorDelta) perSec(n uint64) float64 { return rate(0, n, d.Secs) }

// linkStats is what the kernel says of one end of a tap.
type linkStats struct {
	TxQueueLen int    // txqlen: the queue of frames for govsd to read
	TxDropped  uint64 // frames that found it full
}

// tapStats reads the kernel side of tap ifname in ns.
func tapStats(ns *netlab.NS, ifname string) (linkStats, error) {
	out, err := ns.IP("-s", "-j", "link", "show", "dev", ifname)
	if err != nil {
		return linkStats{}, err
	}
	return parseLinkStats([]byte(out))
}

// parseLinkStats reads txqlen and stats64.tx.dropped from
// `ip -s -j link show dev X`.
func parseLinkStats(js []byte) (linkStats, error) {
	var links []struct {
		TxQueueLen int `json:"txqlen"`
		Stats64    *struct {
			Tx struct {
				Dropped uint64 `json:"dropped"`
			} `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(js, &links); err != nil {
		return linkStats{}, fmt.Errorf("ip -s -j link: %w", err)
	}
	if len(links) != 1 || links[0].Stats64 == nil {
		return linkStats{}, fmt.Errorf("ip -s -j link: want one link with stats64, got %s", js)
	}
	return linkStats{TxQueueLen: links[0].TxQueueLen, TxDropped: links[0].Stats64.Tx.Dropped}, nil
}

// tapDrops are the kernel's tx_dropped of both taps, the WAN one in the
// client namespace and the LAN one in the switch's.
type tapDrops struct{ Wan, Lan uint64 }

func readTapDrops(l *floodLab) tapDrops {
	var d tapDrops
	if s, err := tapStats(l.lab.Client, l.wan()); err == nil {
		d.Wan = s.TxDropped
	}
	if s, err := tapStats(l.lab.Switch.NS, l.lan()); err == nil {
		d.Lan = s.TxDropped
	}
	return d
}

func (d tapDrops) since(a tapDrops) tapDrops {
	return tapDrops{Wan: d.Wan - min(a.Wan, d.Wan), Lan: d.Lan - min(a.Lan, d.Lan)}
}
