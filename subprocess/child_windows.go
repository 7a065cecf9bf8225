package subprocess

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/parking"
)

// wokeExited is the wake-up reason of tasks in Wait: the child exited.
const wokeExited parking.Reason = 1

// child is one process the loop started. On Windows a goroutine waits for
// its exit (os.Process.Wait, WaitForSingleObject on the process handle)
// and posts it to the loop; everything else is the loop goroutine's.
type child struct {
	l           *eventloop.Loop
	proc        *os.Process
	pid         int
	name        string
	exited      bool
	unknown     bool // never set on Windows: the handle always has the status
	code        int
	waiters     parking.Lot // tasks in Wait
	onExit      []func()
	tracked     bool
	killOnClose bool
	done        chan struct{} // closed when the wait goroutine has the exit
}

// watch registers c with the loop (Track) and starts the goroutine that
// waits for its exit.
func (c *child) watch() error {
	if err := c.l.Track(c); err != nil {
		return err
	}
	c.tracked = true
	c.done = make(chan struct{})
	go c.wait(c.done)
	return nil
}

func (c *child) wait(done chan struct{}) {
	st, err := c.proc.Wait()
	code := -1
	if err == nil {
		code = st.ExitCode()
	}
	close(done)
	c.l.CallSoonThreadsafe(func() { c.reaped(code) })
}

// reaped records the exit and wakes every waiter.
func (c *child) reaped(code int) {
	if c.exited {
		return
	}
	c.exited, c.code = true, code
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

// returnCode is the exit code; 1 after Kill or Terminate (TerminateProcess
// with exit code 1, as asyncio does).
func (c *child) returnCode() int { return c.code }

// signal ends the child for SIGKILL and SIGTERM (TerminateProcess: Windows
// has no gentler signal to send a process); other signals are refused with
// an error wrapping errors.ErrUnsupported.
func (c *child) signal(sig syscall.Signal) error {
	if c.exited {
		return ErrProcessDone
	}
	if sig != syscall.SIGKILL && sig != syscall.SIGTERM {
		return fmt.Errorf("subprocess: SendSignal: %v on windows: %w", sig, errors.ErrUnsupported)
	}
	if err := c.proc.Kill(); err != nil {
		if c.gone(err) {
			return ErrProcessDone
		}
		return fmt.Errorf("subprocess: Kill: pid %d: %w", c.pid, err)
	}
	return nil
}

// gone reports whether Kill's error only says that the child has exited
// already, which it may have before the loop hears of it:
//   - after the wait goroutine's os.Process.Wait returned, the handle is
//     released and Kill fails with EINVAL; the goroutine closes done right
//     after, so waiting for done here is momentary;
//   - between the exit and that Wait, TerminateProcess fails with
//     ERROR_ACCESS_DENIED on Windows (Wine lets it succeed); the exit code
//     is then no longer STILL_ACTIVE, as asyncio checks too. The pid is
//     safe to open: the unreleased handle keeps it from being reused.
func (c *child) gone(err error) bool {
	if errors.Is(err, os.ErrProcessDone) {
		return true
	}
	if c.done != nil && errors.Is(err, syscall.EINVAL) {
		<-c.done
		return true
	}
	if c.done != nil && errors.Is(err, syscall.ERROR_ACCESS_DENIED) {
		select {
		case <-c.done:
			return true
		default:
		}
		h, err := syscall.OpenProcess(processQueryLimitedInformation, false, uint32(c.pid))
		if err != nil {
			return false
		}
		defer syscall.CloseHandle(h)
		var code uint32
		return syscall.GetExitCodeProcess(h, &code) == nil && code != stillActive
	}
	return false
}

const (
	processQueryLimitedInformation = 0x1000 // PROCESS_QUERY_LIMITED_INFORMATION
	stillActive                    = 259    // STILL_ACTIVE, GetExitCodeProcess of a running process
)

// String describes c for the loop's AliveError (eventloop.Resource).
func (c *child) String() string { return fmt.Sprintf("child process %d (%s)", c.pid, c.name) }

// CloseNow is loopClosing, called by the loop's Close (eventloop.Resource).
func (c *child) CloseNow() { c.loopClosing() }

// loopClosing runs when the loop closes with c still running: kill it and
// wait for its end if asked, else leave it running (the wait goroutine
// ends with it).
func (c *child) loopClosing() {
	if c.exited {
		return
	}
	if !c.killOnClose {
		return
	}
	c.proc.Kill()
	if c.done != nil {
		<-c.done
	} else {
		c.proc.Wait()
	}
	c.exited, c.code = true, 1
}
