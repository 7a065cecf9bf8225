//go:build unix

package subprocess

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/parking"
	"golang.org/x/sys/unix"
)

// wokeExited is the wake-up reason of tasks in Wait: the child was reaped.
const wokeExited parking.Reason = 1

// child is one process the loop started and will reap. It lives on the
// loop goroutine; only the SIGCHLD forwarder (below) crosses goroutines,
// and it only posts callbacks.
type child struct {
	l           *eventloop.Loop
	pid         int
	pidfd       int // -1 without pidfd (old kernel, BSD, darwin)
	name        string
	exited      bool
	unknown     bool // exited, but reaped elsewhere: status is meaningless
	status      syscall.WaitStatus
	waiters     parking.Lot // tasks in Wait
	onExit      []func()
	tracked     bool // registered with the loop (Track)
	killOnClose bool
}

// watch starts watching c's exit: a reader on the pidfd, or the loop's
// SIGCHLD watcher. It also registers c with the loop (Track) so Close
// reports it, and kills or hands it to a background reaper then.
func (c *child) watch() error {
	if err := c.l.Track(c); err != nil {
		return err
	}
	c.tracked = true
	if c.pidfd >= 0 {
		if err := c.l.AddReader(c.pidfd, c.poll); err == nil {
			return nil
		}
		// The poller refused the pidfd (it should not); fall back.
		unix.Close(c.pidfd)
		c.pidfd = -1
	}
	return watcherFor(c.l).add(c)
}

// poll reaps c if it has exited; it never blocks. Safe to call at any
// time on the loop goroutine: wait4 on our own pid, never on -1.
func (c *child) poll() {
	if c.exited {
		return
	}
	var ws syscall.WaitStatus
	for {
		pid, err := syscall.Wait4(c.pid, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			// ECHILD: someone else reaped our child (the kernel, when
			// SIGCHLD is ignored, or a wait(-1) elsewhere in the program).
			// It has exited; its status is lost, and Wait says so.
			if err == syscall.ECHILD {
				c.unknown = true
				c.reaped(0)
			}
			return
		}
		if pid == c.pid {
			c.reaped(ws)
		}
		return
	}
}

// reaped records the exit, stops watching and wakes every waiter.
func (c *child) reaped(ws syscall.WaitStatus) {
	c.exited, c.status = true, ws
	if c.pidfd >= 0 {
		c.l.RemoveReader(c.pidfd)
		unix.Close(c.pidfd)
		c.pidfd = -1
	} else {
		watcherFor(c.l).remove(c)
	}
	if c.tracked {
		c.tracked = false
		c.l.Untrack(c)
	}
	c.waiters.WakeAll(wokeExited)
	fns := c.onExit
	c.onExit = nil
	for _, fn := range fns {
		c.l.CallSoon(fn)
	}
}

// returnCode is asyncio's returncode: the exit status, or minus the signal
// that killed the child.
func (c *child) returnCode() int {
	if c.status.Signaled() {
		return -int(c.status.Signal())
	}
	return c.status.ExitStatus()
}

// signal sends sig unless the child has been reaped. Through the pidfd the
// kernel guarantees the target; without one, the pid cannot have been
// reused yet because this loop is its only reaper and has not reaped it
// (poll first, so an exit that already happened is seen).
func (c *child) signal(sig syscall.Signal) error {
	if !c.exited && c.pidfd < 0 {
		c.poll()
	}
	if c.exited {
		return ErrProcessDone
	}
	if c.pidfd >= 0 {
		err := pidfdSignal(c.pidfd, sig)
		if err == syscall.ESRCH {
			return ErrProcessDone // exited, not yet reaped: asyncio says the same
		}
		return err
	}
	if err := syscall.Kill(c.pid, sig); err != nil && err != syscall.ESRCH {
		return err
	}
	return nil
}

// String describes c for the loop's AliveError (eventloop.Resource).
func (c *child) String() string { return fmt.Sprintf("child process %d (%s)", c.pid, c.name) }

// CloseNow is loopClosing, called by the loop's Close (eventloop.Resource).
func (c *child) CloseNow() { c.loopClosing() }

// loopClosing runs when the loop closes with c still running: kill and
// reap it if asked, else leave it running and reap it in the background,
// so it never stays a zombie.
func (c *child) loopClosing() {
	if c.exited {
		return
	}
	if c.pidfd >= 0 {
		c.l.RemoveReader(c.pidfd)
	} else {
		watcherFor(c.l).remove(c)
	}
	if c.killOnClose {
		if c.pidfd >= 0 {
			pidfdSignal(c.pidfd, syscall.SIGKILL)
		} else {
			syscall.Kill(c.pid, syscall.SIGKILL)
		}
	}
	pid, pidfd := c.pid, c.pidfd
	c.pidfd = -1
	reap := func() {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
	}
	if c.killOnClose {
		reap()
		c.exited, c.status = true, syscall.WaitStatus(syscall.SIGKILL)
		return
	}
	go reap()
}

// sigchldWatcher reaps a loop's children where there is no pidfd: a
// goroutine receives SIGCHLD from os/signal and posts one poll pass over
// the loop's own children. It runs only while the loop has children to
// watch. A SIGCHLD is not queued per child (the kernel merges them), which
// is why every signal polls every child.
type sigchldWatcher struct {
	l        *eventloop.Loop
	children map[int]*child
	ch       chan os.Signal
	quit     chan struct{}
	done     chan struct{}
}

var (
	watchersMu sync.Mutex // protects watchers
	watchers   = map[*eventloop.Loop]*sigchldWatcher{}
)

func watcherFor(l *eventloop.Loop) *sigchldWatcher {
	watchersMu.Lock()
	defer watchersMu.Unlock()
	w := watchers[l]
	if w == nil {
		w = &sigchldWatcher{l: l, children: map[int]*child{}}
		watchers[l] = w
	}
	return w
}

func (w *sigchldWatcher) add(c *child) error {
	if len(w.children) == 0 {
		w.ch = make(chan os.Signal, 1)
		w.quit = make(chan struct{})
		w.done = make(chan struct{})
		signal.Notify(w.ch, syscall.SIGCHLD)
		go w.forward(w.ch, w.quit, w.done)
	}
	w.children[c.pid] = c
	// The child may have exited before Notify was in place: look once now.
	w.l.CallSoon(c.poll)
	return nil
}

func (w *sigchldWatcher) forward(ch chan os.Signal, quit, done chan struct{}) {
	defer close(done)
	for {
		select {
		case <-ch:
			if w.l.CallSoonThreadsafe(w.pollAll) != nil {
				return
			}
		case <-quit:
			return
		}
	}
}

func (w *sigchldWatcher) pollAll() {
	for _, c := range w.children {
		c.poll()
	}
}

func (w *sigchldWatcher) remove(c *child) {
	if _, ok := w.children[c.pid]; !ok {
		return
	}
	delete(w.children, c.pid)
	if len(w.children) > 0 {
		return
	}
	signal.Stop(w.ch)
	close(w.quit)
	<-w.done
	watchersMu.Lock()
	delete(watchers, w.l)
	watchersMu.Unlock()
}
