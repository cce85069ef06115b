package conntrack

// Expire examines at most budget conns, continuing from where the previous
// call stopped, and deletes those whose deadline has passed
// (int32(now-Expire) >= 0). onExpire, if not nil, sees each such conn just
// before it is deleted; it may read or Delete it but must not Insert. It
// returns the number of conns expired.
func (t *Table) Expire(now uint32, budget int, onExpire func(*Conn)) int {
	hw := t.hw
	if hw == 0 || budget <= 0 {
		return 0
	}
	if uint64(budget) > uint64(hw) {
		budget = int(hw) // one sweep at most per call
	}
	expired := 0
	i := t.cursor
	for ; budget > 0; budget-- {
		if i >= hw {
			i = 0
		}
		c := &t.conns[i]
		if c.used != 0 && int32(now-c.Expire) >= 0 {
			if onExpire != nil {
				onExpire(c)
			}
			if c.used != 0 {
				t.remove(c, i)
			}
			expired++
		}
		i++
	}
	t.cursor = i
	return expired
}
