//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func (t *tour) reader() error {
	t.stop("AddReader: a callback whenever a pipe is readable")
	l, err := t.newLoop()
	if err != nil {
		return err
	}
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return err
	}
	r, w := p[0], p[1]
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			return err
		}
	}
	// The writer is another goroutine; the reader paces it, so that each
	// write is read on its own.
	next := make(chan struct{}, 1)
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		for _, msg := range []string{"hello", "world"} {
			unix.Write(w, []byte(msg))
			<-next
		}
		unix.Close(w)
	}()
	done := eventloop.NewFuture[struct{}](l)
	buf := make([]byte, 64)
	err = l.AddReader(r, func() {
		n, err := unix.Read(r, buf)
		switch {
		case err == unix.EAGAIN:
			return
		case err != nil || n == 0:
			t.say("reader: end of file; RemoveReader, then close the fd")
			l.RemoveReader(r)
			unix.Close(r)
			done.SetResult(struct{}{})
		default:
			t.say("reader: %q", buf[:n])
			next <- struct{}{}
		}
	})
	if err != nil {
		return err
	}
	t.say("the loop waits in its poller until the pipe is readable")
	if err := l.RunUntilComplete(done); err != nil {
		return err
	}
	<-writer
	return l.Close()
}

func (t *tour) close() error {
	t.stop("Close reports what is still alive, and task errors nobody read")
	l, err := t.newLoop()
	if err != nil {
		return err
	}
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return err
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	l.CallLater(time.Hour, func() {})
	l.AddReader(p[0], func() {})
	eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		err := eventloop.Sleep(ctx, time.Hour)
		t.say("sleeper: unwound by Close, its await returned %v", err)
		return 0, err
	}, eventloop.WithName("sleeper"))
	eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		return 0, errors.New("nobody reads this")
	}, eventloop.WithName("ignored"))
	l.RunOnce(0) // one iteration: both tasks take their first step
	err = l.Close()
	var alive *eventloop.AliveError
	if !errors.As(err, &alive) {
		return fmt.Errorf("close returned %v, want an *AliveError", err)
	}
	t.say("Close = *AliveError: tasks %v, %d timer(s), %d reader(s)", alive.Tasks, alive.Timers, len(alive.Readers))
	t.say("the loop is closed all the same: %v; CallSoon now: %v", l.IsClosed(), func() error { _, err := l.CallSoon(func() {}); return err }())
	return nil
}

func (t *tour) signal() error {
	t.stop("AddSignalHandler: SIGUSR1, sent to ourselves, handled on the loop")
	l, err := t.newLoop()
	if err != nil {
		return err
	}
	done := eventloop.NewFuture[struct{}](l)
	err = l.AddSignalHandler(syscall.SIGUSR1, func() {
		t.say("handler: got SIGUSR1, on the loop goroutine like any callback")
		done.SetResult(struct{}{})
	})
	if err != nil {
		return err
	}
	t.say("SIGKILL cannot be caught: %v", l.AddSignalHandler(syscall.SIGKILL, func() {}))
	l.CallSoon(func() { syscall.Kill(os.Getpid(), syscall.SIGUSR1) })
	if err := l.RunUntilComplete(done); err != nil {
		return err
	}
	removed, _ := l.RemoveSignalHandler(syscall.SIGUSR1)
	t.say("RemoveSignalHandler: %v", removed)
	return l.Close()
}
