package web

import (
	"errors"
	"net/http"
)

// Errors of the package. Misuse the loop detects (an await outside a task,
// on another loop, after the loop closed) comes back wrapping
// eventloop.ErrNotInTask, eventloop.ErrWrongLoop or eventloop.ErrClosed;
// cancellation as eventloop.ErrCancelled or eventloop.ErrTimeout.
var (
	// ErrServerClosed is http.ErrServerClosed: Serve returns it after
	// Shutdown or Close, and Listen after them.
	ErrServerClosed = http.ErrServerClosed
	// ErrNilHandler is returned by Listen and Serve when the server has no
	// Handler.
	ErrNilHandler = errors.New("web: server has no Handler")
	// ErrHijacked is http.ErrHijacked: ResponseWriter methods return it
	// after Hijack.
	ErrHijacked = http.ErrHijacked
	// ErrBadRequest is matched by a *RequestError: the request could not
	// be parsed or is malformed.
	ErrBadRequest = errors.New("web: bad request")
)

// RequestError describes a request the server refused before calling the
// handler: Status is the status code sent (400, 431, 501, 505, 417),
// Reason what was wrong. It matches ErrBadRequest.
type RequestError struct {
	Status int
	Reason string
}

func (e *RequestError) Error() string {
	return "web: bad request: " + http.StatusText(e.Status) + ": " + e.Reason
}

// Is reports whether target is ErrBadRequest.
func (e *RequestError) Is(target error) bool { return target == ErrBadRequest }
