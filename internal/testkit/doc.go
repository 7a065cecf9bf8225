// Package testkit holds the few helpers the library's own tests share:
// running a scenario as the main task of a virtual-clock loop whose
// exception handler fails the test, yielding iterations, and the usual
// error and value checks. It imports "testing" and go-cmp, so only test
// files import it; it is internal because it is not part of the API (the
// public testing toolkit is looptest).
package testkit
