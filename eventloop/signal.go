package eventloop

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/aio-go/aio/internal/errs"
)

// signalState forwards signals to the loop: os/signal delivers them to ch,
// and one goroutine posts each to the loop with CallSoonThreadsafe, so the
// handler runs on the loop goroutine like any callback.
type signalState struct {
	ch       chan os.Signal
	handlers map[syscall.Signal]func()
	quit     chan struct{}
	wg       sync.WaitGroup
}

// AddSignalHandler runs fn on the loop whenever sig arrives, replacing an
// earlier handler for sig. SIGKILL and SIGSTOP cannot be caught
// (ErrBadSignal). On Windows only os.Interrupt (Ctrl-C and Ctrl-Break)
// and SIGTERM (the console closing, log-off, shutdown) arrive; other
// signals fail with ErrBadSignal. Loop goroutine only.
func (l *Loop) AddSignalHandler(sig os.Signal, fn func()) error {
	if err := l.check("AddSignalHandler"); err != nil {
		return err
	}
	if fn == nil {
		return errs.Op("eventloop", "AddSignalHandler", ErrNilCallback)
	}
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("eventloop: AddSignalHandler(%v): %w", sig, ErrBadSignal)
	}
	if !catchable(s) {
		return fmt.Errorf("eventloop: AddSignalHandler(%s): %w", signalName(s), ErrBadSignal)
	}
	if l.signals == nil {
		st := &signalState{ch: make(chan os.Signal, 16), handlers: map[syscall.Signal]func(){}, quit: make(chan struct{})}
		st.wg.Add(1)
		go st.forward(l)
		l.signals = st
	}
	l.signals.handlers[s] = fn
	signal.Notify(l.signals.ch, s)
	return nil
}

// RemoveSignalHandler removes the handler for sig and restores the
// signal's default treatment for this loop; it reports whether a handler
// was installed. Loop goroutine only.
func (l *Loop) RemoveSignalHandler(sig os.Signal) (bool, error) {
	if err := l.check("RemoveSignalHandler"); err != nil {
		return false, err
	}
	s, ok := sig.(syscall.Signal)
	if !ok || l.signals == nil {
		return false, nil
	}
	if _, ok := l.signals.handlers[s]; !ok {
		return false, nil
	}
	delete(l.signals.handlers, s)
	signal.Stop(l.signals.ch)
	if len(l.signals.handlers) == 0 {
		l.stopSignals()
		return true, nil
	}
	for other := range l.signals.handlers {
		signal.Notify(l.signals.ch, other)
	}
	return true, nil
}

func (st *signalState) forward(l *Loop) {
	defer st.wg.Done()
	for {
		select {
		case s := <-st.ch:
			l.CallSoonThreadsafe(func() { l.dispatchSignal(s) })
		case <-st.quit:
			return
		}
	}
}

func (l *Loop) dispatchSignal(sig os.Signal) {
	if l.signals == nil {
		return
	}
	if fn := l.signals.handlers[sig.(syscall.Signal)]; fn != nil {
		fn()
	}
}

func (l *Loop) stopSignals() {
	st := l.signals
	if st == nil {
		return
	}
	signal.Stop(st.ch)
	close(st.quit)
	st.wg.Wait()
	l.signals = nil
}
