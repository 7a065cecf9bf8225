// Package poller tells an event loop which of its file descriptors are
// ready, and lets other goroutines wake the loop while it waits.
//
// It is the bottom of the event loop (docs/design.md D8): one small interface,
// Poller, whose contract is the header comment of poller.go; one backend
// per kernel, chosen by build tag (epoll on Linux in poller_epoll.go, kqueue
// on darwin and the BSDs in poller_kqueue.go); the Wake hand-shake they
// share in wake.go; and Fake, an in-memory Poller for tests of the layers
// above. One conformance suite (suite_test.go) runs against every
// implementation.
//
// The package is internal: its only client is the event loop, which owns
// one Poller, calls it from the loop goroutine, and lets other goroutines
// call Wake.
package poller
