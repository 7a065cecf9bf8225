// Package web is HTTP/1.1 on the event loop: a Server that serves any
// http.Handler and a Client with a connection pool, both doing their I/O
// through the loop's streams (aiohttp's job, in Go form).
//
// The HTTP interface is net/http's: handlers are http.Handler, requests
// and responses are *http.Request and *http.Response, so http.ServeMux
// routing and existing middleware work unchanged. The wire format is
// net/http's own exported code (http.ReadRequest, http.ReadResponse,
// Header.Write, httputil's chunked reader and writer, textproto for
// trailers); the package adds only the framing checks net/http's server
// does internally (smuggling-shaped requests, obs-fold, header limits).
//
// What differs from net/http: every request's handler runs in the loop
// task of its connection, and r.Context() is that task's context, so a
// handler can await the loop's sleeps, queues, locks, streams and
// subprocesses; there is no goroutine per connection. The Client's Do is
// an await called from a task, and the response body is read from a task
// of the same loop. docs/http.md describes both in full.
package web
