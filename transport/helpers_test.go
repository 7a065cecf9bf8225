package transport

import (
	"sync"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/timer"
)

// newVirtualLoop returns a loop on a virtual clock, closed (and checked for
// leftovers) at the end of the test.
func newVirtualLoop(t *testing.T, opts ...eventloop.Option) *eventloop.Loop {
	t.Helper()
	l, err := eventloop.New(append([]eventloop.Option{eventloop.WithClock(timer.NewVirtual())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// trace collects events in order.
type trace struct {
	mu     sync.Mutex
	events []string
}

func (tr *trace) add(s string) {
	tr.mu.Lock()
	tr.events = append(tr.events, s)
	tr.mu.Unlock()
}

func (tr *trace) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.events...)
}
