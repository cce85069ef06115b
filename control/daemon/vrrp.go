package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/vrrp"
)

// garpRepeat is when a new master announces its addresses a second time
// (keepalived's garp_master_delay), for switches that missed the first.
const garpRepeat = 5 * time.Second

// vrrpRunner runs the configured VRRP instances on the ports' kernel
// interfaces and tracks which of them are MASTER: the addresses of the
// others are standby in the dataplane (not answered, not forwarded).
type vrrpRunner struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	instances []*vrrp.Instance
	cfgs      []config.VRRPInstance

	mu     sync.Mutex
	master map[string]bool
}

// standbyAddrs are the virtual addresses of every instance that is not
// MASTER (all of them before the first election).
func standbyAddrs(c *config.Config, master map[string]bool) []netip.Addr {
	var out []netip.Addr
	for _, in := range c.VRRP.Instances {
		if !master[in.Name] {
			out = append(out, in.VirtualAddresses...)
		}
	}
	return out
}

func (d *Daemon) standby(c *config.Config) []netip.Addr {
	var master map[string]bool
	if r := d.vrrp; r != nil {
		r.mu.Lock()
		master = copyMasters(r.master)
		r.mu.Unlock()
	}
	return standbyAddrs(c, master)
}

func copyMasters(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// instanceConfig maps one configured instance to the vrrp package's.
func instanceConfig(c *config.Config, in config.VRRPInstance) (vrrp.InstanceConfig, string, error) {
	i := slices.IndexFunc(c.Ports, func(p config.Port) bool { return p.Name == in.Port })
	if i < 0 {
		return vrrp.InstanceConfig{}, "", fmt.Errorf("vrrp instance %s: no port %q", in.Name, in.Port)
	}
	port := c.Ports[i]
	state := vrrp.StateBackup
	if strings.EqualFold(in.State, "MASTER") {
		state = vrrp.StateMaster
	}
	ic := vrrp.InstanceConfig{
		Name: in.Name, VRID: uint8(in.VRID), Addrs: in.VirtualAddresses, Peers: in.UnicastPeers,
		Machine: vrrp.Config{Version: uint8(in.Version), Priority: uint8(in.Priority), AdvertInterval: in.AdvertInterval,
			Nopreempt: in.Nopreempt, PreemptDelay: in.PreemptDelay, PrimaryAddr: port.Address.Addr(), InitialState: state},
	}
	if in.AuthPass != "" {
		ic.AuthType, ic.AuthData = vrrp.AuthPass, vrrp.PasswordData(in.AuthPass)
	}
	return ic, port.Kernel.Name, nil
}

// startVRRP opens each instance's transport on its port's kernel
// interface (govsd runs in the namespace that holds them) and runs it.
func (d *Daemon) startVRRP() error {
	cfg := d.cfg.Load()
	if len(cfg.VRRP.Instances) == 0 {
		return nil
	}
	r := &vrrpRunner{master: map[string]bool{}, cfgs: cfg.VRRP.Instances}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	// Set before any instance runs: their hooks read it (standby).
	d.vrrp = r
	for _, in := range cfg.VRRP.Instances {
		ic, ifname, err := instanceConfig(cfg, in)
		var tr *vrrp.Transport
		if err == nil {
			tr, err = vrrp.Open(ifname, ic.Machine.PrimaryAddr)
		}
		var inst *vrrp.Instance
		if err == nil {
			inst, err = vrrp.NewInstance(ic, tr, &vrrpHooks{d: d, r: r, name: in.Name, addrs: in.VirtualAddresses}, d.log.With("component", "vrrp"))
		}
		if err != nil {
			if tr != nil {
				tr.Close()
			}
			cancel()
			r.wg.Wait()
			d.vrrp = nil
			return fmt.Errorf("vrrp instance %s: %w", in.Name, err)
		}
		r.instances = append(r.instances, inst)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer tr.Close()
			if err := inst.Run(ctx); err != nil {
				d.log.Error("vrrp instance stopped", "vrrp_instance", in.Name, "err", err)
			}
		}()
	}
	return nil
}

// stopVRRP stops every instance gracefully: a master sends priority 0, so
// its backup takes over after only the skew time.
func (d *Daemon) stopVRRP() {
	if r := d.vrrp; r != nil {
		r.cancel()
		r.wg.Wait()
	}
}

// vrrpHooks take and release an instance's addresses in the dataplane.
type vrrpHooks struct {
	d     *Daemon
	r     *vrrpRunner
	name  string
	addrs []netip.Addr
}

func (h *vrrpHooks) set(master bool) {
	h.r.mu.Lock()
	h.r.master[h.name] = master
	h.r.mu.Unlock()
	if err := h.d.applyCurrent(); err != nil {
		h.d.log.Error("vrrp: applying the addresses' new state refused by the dataplane", "vrrp_instance", h.name, "err", err)
	}
}

func (h *vrrpHooks) isMaster() bool {
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	return h.r.master[h.name]
}

func (h *vrrpHooks) BecomeMaster() {
	h.set(true)
	h.announce()
	time.AfterFunc(garpRepeat, func() {
		if h.isMaster() {
			h.announce()
		}
	})
}

func (h *vrrpHooks) announce() {
	var err error
	h.d.withDataplane(func() { err = h.d.dp.Announce(h.addrs) })
	if err != nil {
		h.d.log.Warn("vrrp: gratuitous ARP", "vrrp_instance", h.name, "err", err)
	}
}

func (h *vrrpHooks) Release(vrrp.State) { h.set(false) }

// VRRP reports every instance's state and counters.
func (d *Daemon) VRRP() []admin.VRRPInstance {
	out := []admin.VRRPInstance{}
	r := d.vrrp
	if r == nil {
		return out
	}
	for i, inst := range r.instances {
		st, c := inst.Status(), r.cfgs[i]
		ai := admin.VRRPInstance{Name: st.Name, VRID: c.VRID, Port: c.Port, Version: c.Version, State: strings.ToUpper(st.State.String()),
			Since: st.Since, Priority: int(st.Priority), ConfiguredPriority: c.Priority, Transitions: st.Transitions,
			AdvertsSent: st.AdvertsSent, AdvertsReceived: st.AdvertsReceived, OtherVRID: st.OtherVRIDAdverts,
			SendErrors: st.SendErrors, Rejected: st.Rejected}
		if st.MasterAddr.IsValid() {
			ai.Master = st.MasterAddr.String()
		}
		for _, a := range c.VirtualAddresses {
			ai.Addresses = append(ai.Addresses, a.String())
		}
		out = append(out, ai)
	}
	return out
}
