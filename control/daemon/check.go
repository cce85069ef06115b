package daemon

import (
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
)

// Check loads the configuration at path and runs on it every check a
// start applies, the dataplane's included (dataplane.Check), without
// starting anything: govsd -t. The first snapshot is checked as a start
// builds it (servers as their checks start them, VRRP addresses
// standby), and as every instance's election would leave it (what a
// master adds: its virtual MACs); health checks change only weights.
func Check(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	for _, master := range []func(config.VRRPInstance) bool{nil, allMaster} {
		spec := effectiveSpec(cfg, healthView{})
		setVRRP(cfg, spec, master)
		if err := dataplane.Check(options(cfg), spec); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func allMaster(config.VRRPInstance) bool { return true }
