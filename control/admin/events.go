package admin

import (
	"encoding/json"
	"net/http"
)

// eventBuffer is how many events a slow reader may lag behind before it
// loses some (the daemon counts them); checks never wait for a reader.
const eventBuffer = 256

// events streams state changes as JSON lines until the client leaves, the
// daemon stops or the server shuts down.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ch, cancel := s.src.Subscribe(eventBuffer)
	defer cancel()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streams:
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if enc.Encode(ev) != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
}
