package main

import "github.com/govs-project/govs/control/admin"

// rateText is "govsctl rate" (ipvsadm -Ln --rate): the daemon estimates
// the rates every 2 s, as IPVS; this prints its latest estimate.
func rateText(e *env, c *admin.Client) error {
	svcs, err := c.Services()
	if err != nil {
		return err
	}
	return admin.FormatRate(e.stdout, svcs)
}
