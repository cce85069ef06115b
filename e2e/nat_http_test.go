package e2e

import "testing"

// TestNATHTTPWeightedShares: 1000 new connections to the wrr service with
// weights 1:2:3 are all answered, in shares within 10 % of 1/6, 2/6, 3/6.
func TestNATHTTPWeightedShares(t *testing.T) {
	env := natLab(t)
	checkWeightedShares(t, env.lab.Client, "http://"+vip+":80/", 1000, shares1to3)
}
