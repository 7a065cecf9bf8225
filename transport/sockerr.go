package transport

import "fmt"

// SendallError is the error of a SockSendall that stopped early: Sent
// bytes went out, the rest did not. It wraps the cause (a cancellation,
// a broken connection).
type SendallError struct {
	Sent int
	Err  error
}

// Error returns "transport: sendall: sent N bytes: <cause>".
func (e *SendallError) Error() string {
	return fmt.Sprintf("transport: sendall: sent %d bytes: %v", e.Sent, e.Err)
}

// Unwrap returns the cause.
func (e *SendallError) Unwrap() error { return e.Err }
