package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
)

// apiError is an error answer: HTTP status and the JSON body
// {"error": {"code": code, "message": message}}.
type apiError struct {
	status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// writeError answers e as JSON.
func writeError(w http.ResponseWriter, e *apiError) {
	body, _ := json.Marshal(struct {
		Error *apiError `json:"error"`
	}{e})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(e.status)
	w.Write(append(body, '\n'))
}

// tooBusy is the 429 of a full server, with Retry-After in whole seconds.
func (s *Server) tooBusy(w http.ResponseWriter) {
	secs := int(math.Ceil(s.cfg.RetryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeError(w, errf(http.StatusTooManyRequests, "overloaded",
		"the server is serving its limit of %d requests; retry after %d s", s.cfg.MaxConcurrent, max(secs, 1)))
}
