package health

// aliveWeight adds up the weights of the service's up servers as the
// dataplane gets them: an operator's override, else a script's dynamic
// weight, else the configured one (countedWeight, quorum_override.go).
func (svc *service) aliveWeight() uint64 {
	var sum uint64
	for _, s := range svc.servers {
		if s.up {
			sum += svc.countedWeight(s)
		}
	}
	return sum
}

// quorumAfter is keepalived's rule: gained at quorum+hysteresis, lost
// below quorum-hysteresis or when no weight is left, else unchanged.
func quorumAfter(up bool, alive uint64, quorum, hysteresis uint32) bool {
	q, h, w := int64(quorum), int64(hysteresis), int64(alive)
	if !up {
		return w >= q+h
	}
	return !(w == 0 || w < q-h)
}
