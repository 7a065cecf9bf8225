package files

import (
	"sync"
	"sync/atomic"

	"github.com/aio-go/aio/eventloop"
)

// Gate holds the next call that starts on a worker, just before its
// system call, until Release.
type Gate struct {
	armed   atomic.Bool
	entered atomic.Int32
	once    sync.Once
	release chan struct{}
}

// BlockNext arms a gate for the next call to start (on any loop). The
// returned function removes the hook and releases the gate.
func BlockNext() (*Gate, func()) {
	g := &Gate{release: make(chan struct{})}
	g.armed.Store(true)
	h := func(*job) {
		if g.armed.CompareAndSwap(true, false) {
			g.entered.Add(1)
			<-g.release
		}
	}
	testHookRun.Store(&h)
	return g, func() { testHookRun.Store(nil); g.Release() }
}

// Entered reports whether a call is held at the gate.
func (g *Gate) Entered() bool { return g.entered.Load() > 0 }

// Release lets the held call go on. Any goroutine, any number of times.
func (g *Gate) Release() { g.once.Do(func() { close(g.release) }) }

// UseDispatch makes l's pool send its calls to the default executor
// ("executor"), a goroutine each ("goroutine") or its workers ("pool").
// Loop goroutine only, before the first call.
func UseDispatch(l *eventloop.Loop, how string) error {
	p, err := poolFor(l)
	if err != nil {
		return err
	}
	switch how {
	case "executor":
		p.how = viaExecutor
	case "goroutine":
		p.how = viaGoroutine
	default:
		p.how = viaPool
	}
	return nil
}

// PoolWorkers returns how many workers l's pool has started and not ended.
func PoolWorkers(l *eventloop.Loop) int {
	p, err := poolFor(l)
	if err != nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.workers
}

// IsClosed reports whether f's descriptor is closed. Loop goroutine only.
func IsClosed(f *File) bool { return f.closed }
