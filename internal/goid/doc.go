// Package goid identifies the calling goroutine cheaply, for code that
// must tell "the goroutine of this task" from any other: streams' net.Conn
// view takes its direct path only on the goroutine of the task it belongs
// to, and goes through the loop from every other one.
//
// On amd64 and arm64 ID reads the runtime's per-goroutine pointer with one
// instruction (about a nanosecond); elsewhere it parses the header of
// runtime.Stack (about a microsecond). The value identifies a live
// goroutine only: the runtime reuses the record of a goroutine that has
// exited, so compare IDs only with that of a goroutine known to be alive
// (a task that is running).
package goid
