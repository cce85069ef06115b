package main

import (
	"sync"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
)

// standinSource answers the admin API in govsd's place during the
// reference loop's busy phase, so that the same control-plane load runs on
// the control CPU without govsd: a reload loads and validates the YAML
// file govsd reloaded (one at a time, as govsd's reloads are); stats and
// status are govsd's last replies, so the JSON served has the same size.
// What it does not do is build and swap a dataplane snapshot.
type standinSource struct {
	path   string
	stats  admin.Stats
	status admin.Status
	mu     sync.Mutex
}

func (s *standinSource) Status() admin.Status      { return s.status }
func (s *standinSource) Services() []admin.Service { return nil }
func (s *standinSource) Stats() admin.Stats        { return s.stats }
func (s *standinSource) Health() admin.Health      { return admin.Health{} }

// Subscribe: the stand-in has no checks, so no events.
func (s *standinSource) Subscribe(int) (<-chan admin.Event, func()) {
	ch := make(chan admin.Event)
	close(ch)
	return ch, func() {}
}

func (s *standinSource) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := config.Load(s.path)
	return err
}

// serveStandin serves src on socket; the returned function stops it.
func serveStandin(src *standinSource, socket string) (stop func(), err error) {
	srv := admin.NewServer(src, nil)
	if err := srv.Serve(socket); err != nil {
		return nil, err
	}
	return func() { _ = srv.Close() }, nil
}
