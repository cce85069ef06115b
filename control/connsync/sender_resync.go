package connsync

// RequestResync sends a govs resync request: a message of no records with
// SpareResyncRequest, signed like every other when there is a key. A
// director that becomes backup sends one so that the master resends its
// whole table at once instead of at its next periodic resync (a
// returning director must hold every connection before it takes the
// addresses back). IPVS has no such message; a kernel receiver drops it
// (spare is not 0).
func (s *Sender) RequestResync() error {
	s.mu.Lock()
	spare := uint16(SpareResyncRequest)
	if s.cfg.Key != nil {
		spare |= SpareAuth
	}
	msg := s.enc.Append(nil, nil, spare)
	if s.cfg.Key != nil {
		s.seq++
		msg = sign(s.cfg.Key, msg, s.seq)
	}
	s.mu.Unlock()
	err := s.t.Send(msg)
	if err == nil {
		s.mu.Lock()
		s.stats.ResyncRequests++
		s.mu.Unlock()
	}
	return err
}
