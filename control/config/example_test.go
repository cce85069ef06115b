package config

import "testing"

// The documented example is a valid configuration, every key included.
func TestExampleConfigLoads(t *testing.T) {
	c, err := Load("../../configs/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.VRRP.Instances) != 2 || len(c.VRRP.Scripts) != 1 || len(c.VRRP.SyncGroups) != 1 || len(c.Services) == 0 || c.Services[0].Check == nil {
		t.Errorf("example.yaml lost a section: %d VRRP instances, %d scripts, %d sync groups, %d services",
			len(c.VRRP.Instances), len(c.VRRP.Scripts), len(c.VRRP.SyncGroups), len(c.Services))
	}
}

// So is the demo's.
func TestDemoConfigLoads(t *testing.T) {
	if _, err := Load("../../configs/demo.yaml"); err != nil {
		t.Fatal(err)
	}
}
