package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// apiError is a refusal with its HTTP status and SPEC.md §8 code. Handlers return it; respond
// writes it.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration // sets Retry-After when positive
}

func (e *apiError) Error() string { return e.message }

func errorf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// writeJSON writes v as the JSON body of a response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"success":false,"message":"internal error","error_code":"INTERNAL_ERROR"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes e in the error shape of SPEC.md §8.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hasse"`)
	}
	writeJSON(w, e.status, struct {
		Success   bool   `json:"success"`
		Message   string `json:"message"`
		ErrorCode string `json:"error_code"`
	}{false, e.message, e.code})
}

// writeData writes a success response: {"success":true,"data":…}.
func writeData(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, struct {
		Success bool `json:"success"`
		Data    any  `json:"data"`
	}{true, data})
}
