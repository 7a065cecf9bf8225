package looptest

import (
	"fmt"
	"strings"
	"sync"
)

// TB is the part of testing.TB that looptest uses; *testing.T and
// *testing.B satisfy it, and so does a Recorder, which lets a test check
// what looptest reports. (testing.TB itself cannot be implemented outside
// the testing package.)
type TB interface {
	Helper()
	Name() string
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Failed() bool
	Cleanup(func())
}

// Recorder is a TB that records instead of failing: tests of test helpers
// use it, and Seeds runs each seed with one. The zero Recorder is ready to
// use; it is safe for concurrent use. Fatalf records its message and then
// panics with a value that Recorder.Do recovers.
type Recorder struct {
	TestName string // what Name returns

	mu       sync.Mutex // protects errors, logs, cleanups
	errors   []string
	logs     []string
	cleanups []func()
}

var _ TB = (*Recorder)(nil)

// fatal is the panic value of Recorder.Fatalf.
type fatal struct{}

// Helper does nothing.
func (r *Recorder) Helper() {}

// Name returns r.TestName.
func (r *Recorder) Name() string { return r.TestName }

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// Fatalf records a failure and panics; run the code under Do to recover.
func (r *Recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}

// Logf records a log line.
func (r *Recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// Failed reports whether Errorf or Fatalf was called.
func (r *Recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}

// Cleanup registers fn to run, last registered first, when Do returns.
func (r *Recorder) Cleanup(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, fn)
}

// Do runs fn, recovers a Fatalf inside it, and then runs the cleanups
// registered meanwhile, last first (as testing does at the end of a test).
func (r *Recorder) Do(fn func()) {
	defer r.runCleanups()
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(fatal); !ok {
				panic(v)
			}
		}
	}()
	fn()
}

func (r *Recorder) runCleanups() {
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			r.mu.Unlock()
			return
		}
		fn := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		fn()
	}
}

// Errors returns the failures recorded so far.
func (r *Recorder) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// Logs returns the log lines recorded so far.
func (r *Recorder) Logs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
}

// Output returns failures and log lines as one text, for error messages
// and for tests that look for a phrase.
func (r *Recorder) Output() string {
	return strings.Join(append(r.Errors(), r.Logs()...), "\n")
}
