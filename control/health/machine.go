package health

// machine is one server's up/down state: rise consecutive successes bring
// it up, fall consecutive failures take it down. Under alpha a server
// starts down and its first success ever brings it up at once (keepalived
// has no rise: every success is enough there).
type machine struct {
	rise, fall uint32
	up         bool
	neverUp    bool   // alpha: down since the start, waiting for a first success
	succ, fail uint32 // consecutive, towards rise (while down) or fall (while up)
}

func newMachine(c *Check, alpha bool) machine {
	return machine{rise: max(c.Rise, 1), fall: max(c.Fall, 1), up: !alpha, neverUp: alpha}
}

// observe takes one result and reports whether the state changed.
func (m *machine) observe(ok bool) bool {
	if ok {
		m.fail = 0
		if m.up {
			return false
		}
		m.succ++
		if m.neverUp || m.succ >= m.rise {
			m.up, m.neverUp, m.succ = true, false, 0
			return true
		}
		return false
	}
	m.succ = 0
	if !m.up {
		return false
	}
	m.fail++
	if m.fail >= m.fall {
		m.up, m.fail = false, 0
		return true
	}
	return false
}

// failing reports a server that failed its last check but is not yet
// down: its next check comes after the retry delay instead of the interval.
func (m *machine) failing() bool { return m.up && m.fail > 0 }
