package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// maxOverrideBody bounds a request body: an override is a few dozen bytes.
const maxOverrideBody = 4096

// byMethod serves one path with a handler per method; its route has no
// method of its own, so the 405 is answered here.
func byMethod(handlers map[string]http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h, ok := handlers[r.Method]; ok {
			h(w, r)
			return
		}
		allowed := make([]string, 0, len(handlers))
		for m := range handlers {
			allowed = append(allowed, m)
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s not allowed", r.Method, r.URL.Path))
	}
}

// overrides answers 501 when the daemon behind the API keeps none.
func (s *Server) overrides(w http.ResponseWriter) (OverrideSource, bool) {
	src, ok := s.src.(OverrideSource)
	if !ok {
		writeError(w, http.StatusNotImplemented, "runtime overrides are not supported by this daemon")
	}
	return src, ok
}

// serverOverride is /v1/servers/override: POST sets one, DELETE
// (?service=&server=) clears one.
func (s *Server) serverOverride() http.HandlerFunc {
	return byMethod(map[string]http.HandlerFunc{
		http.MethodPost: func(w http.ResponseWriter, r *http.Request) {
			src, ok := s.overrides(w)
			if !ok {
				return
			}
			var req OverrideRequest
			dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxOverrideBody))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				writeError(w, http.StatusBadRequest, "bad override request: "+err.Error())
				return
			}
			if err := req.Validate(); err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			o, err := src.SetOverride(req)
			if err != nil {
				writeOverrideError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, o)
		},
		http.MethodDelete: func(w http.ResponseWriter, r *http.Request) {
			src, ok := s.overrides(w)
			if !ok {
				return
			}
			q := r.URL.Query()
			svc, server := q.Get("service"), q.Get("server")
			if svc == "" || server == "" {
				writeError(w, http.StatusBadRequest, "service and server query parameters are required")
				return
			}
			if err := src.ClearOverride(svc, server); err != nil {
				writeOverrideError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]int{"cleared": 1})
		},
	})
}

// allOverrides is /v1/overrides: GET lists them, DELETE clears them all.
func (s *Server) allOverrides() http.HandlerFunc {
	return byMethod(map[string]http.HandlerFunc{
		http.MethodGet: func(w http.ResponseWriter, _ *http.Request) {
			if src, ok := s.overrides(w); ok {
				list := src.Overrides()
				if list == nil {
					list = []Override{}
				}
				writeJSON(w, http.StatusOK, list)
			}
		},
		http.MethodDelete: func(w http.ResponseWriter, _ *http.Request) {
			src, ok := s.overrides(w)
			if !ok {
				return
			}
			n, err := src.ClearOverrides()
			if err != nil {
				writeOverrideError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]int{"cleared": n})
		},
	})
}

func writeOverrideError(w http.ResponseWriter, err error) {
	var nf *NotFoundError
	var bad *BadRequestError
	switch {
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}
