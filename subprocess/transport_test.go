//go:build unix

package subprocess

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func newExit() *exitProto { return &exitProto{} }

func TestExitCodes(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		for _, code := range []int{0, 1, 7, 255} {
			err := run(t, func(ctx context.Context) error {
				name, args, env := helper("exit", strconv.Itoa(code))
				tr, p, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull), WithStdout(DevNull))
				if err != nil {
					return err
				}
				if _, ok := tr.ReturnCode(); ok {
					t.Errorf("ReturnCode reports an exit before the child could run")
				}
				rc, err := tr.Wait(ctx)
				if err != nil {
					return err
				}
				if rc != code {
					t.Errorf("Wait = %d, want %d", rc, code)
				}
				if got, ok := tr.ReturnCode(); !ok || got != code {
					t.Errorf("ReturnCode = %d, %v; want %d, true", got, ok, code)
				}
				eventloop.Sleep(ctx, 0) // let the exit callbacks run
				if want := []string{"made", "exited", "lost"}; !slices.Equal(p.events, want) {
					t.Errorf("protocol saw %q, want %q", p.events, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestSignalsAndProcessDone(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		err := run(t, func(ctx context.Context) error {
			name, args, env := helper("hang")
			tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull))
			if err != nil {
				return err
			}
			if err := tr.Terminate(); err != nil {
				t.Errorf("Terminate: %v", err)
			}
			rc, err := tr.Wait(ctx)
			if err != nil {
				return err
			}
			if rc != -int(syscall.SIGTERM) {
				t.Errorf("return code %d, want %d", rc, -int(syscall.SIGTERM))
			}
			for _, f := range []func() error{tr.Kill, tr.Terminate, func() error { return tr.SendSignal(syscall.SIGUSR1) }} {
				if err := f(); !errors.Is(err, ErrProcessDone) || !errors.Is(err, os.ErrProcessDone) {
					t.Errorf("signal after exit = %v, want ErrProcessDone", err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestCancelledWaitLeavesChildRunning(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		err := run(t, func(ctx context.Context) error {
			name, args, env := helper("hang")
			tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull))
			if err != nil {
				return err
			}
			wctx, cancel := eventloop.WithCancel(ctx)
			w := eventloop.Spawn(wctx, func(ctx context.Context) (int, error) { return tr.Wait(ctx) })
			eventloop.Sleep(ctx, 0)
			cancel()
			if _, err := eventloop.Await(ctx, w); !errors.Is(err, eventloop.ErrCancelled) {
				t.Errorf("cancelled Wait = %v, want ErrCancelled", err)
			}
			if _, ok := tr.ReturnCode(); ok {
				t.Errorf("the child exited after a cancelled Wait")
			}
			if err := tr.SendSignal(syscall.Signal(0)); err != nil {
				t.Errorf("child not alive after cancelled Wait: %v", err)
			}
			tr.Kill()
			rc, err := tr.Wait(ctx) // a later Wait still sees the exit
			if err != nil || rc != -int(syscall.SIGKILL) {
				t.Errorf("Wait = %d, %v; want -9, nil", rc, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestKillOnCancel(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("hang")
		tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull), KillOnCancel())
		if err != nil {
			return err
		}
		tctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if _, err := tr.Wait(tctx); !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("Wait = %v, want ErrCancelled", err)
		}
		rc, err := tr.Wait(ctx)
		if err != nil || rc != -int(syscall.SIGKILL) {
			t.Errorf("Wait = %d, %v; want -9 (killed on cancel)", rc, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStartErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		prog string
		opts []Option
		want error
		path string
	}{
		{"missing in PATH", "aio-no-such-command-xyz", nil, exec.ErrNotFound, "aio-no-such-command-xyz"},
		{"missing path", filepath.Join(dir, "nope"), nil, syscall.ENOENT, filepath.Join(dir, "nope")},
		{"not executable", noexec, nil, syscall.EACCES, noexec},
		{"directory as program", dir, nil, syscall.EACCES, dir},
		{"missing dir", os.Args[0], []Option{WithDir(filepath.Join(dir, "nodir"))}, syscall.ENOENT, filepath.Join(dir, "nodir")},
		{"empty name", "", nil, ErrBadOption, ""},
		{"stdout for stdin", os.Args[0], []Option{WithStdin(Stdout)}, ErrBadOption, ""},
		{"nil file", os.Args[0], []Option{WithStdout(File(nil))}, ErrBadOption, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := run(t, func(ctx context.Context) error {
				_, _, err := ExecTransport(ctx, newExit, c.prog, nil, c.opts...)
				return err
			})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %T, want *Error", err)
			}
			if c.path != "" && !strings.Contains(err.Error(), c.path) {
				t.Errorf("error %q does not name %q", err, c.path)
			}
		})
	}
}

func TestEnvDirAndFileStdout(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		h    string
		args []string
		opts []Option
		want string
	}{
		{"env", []string{"AIO_X"}, []Option{WithEnv([]string{helperEnv + "=env", "AIO_X=hello", "GORACE=atexit_sleep_ms=0"})}, "hello"},
		{"pwd", nil, []Option{WithDir(dir)}, dir},
	} {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		err = run(t, func(ctx context.Context) error {
			name, args, env := helper(tc.h, tc.args...)
			opts := append([]Option{env, WithStdout(File(f)), WithStdin(DevNull)}, tc.opts...)
			tr, _, err := ExecTransport(ctx, newExit, name, args, opts...)
			if err != nil {
				return err
			}
			_, err = tr.Wait(ctx)
			return err
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if want, _ := filepath.EvalSymlinks(tc.want); string(got) != tc.want && string(got) != want {
			t.Errorf("%s: child printed %q, want %q", tc.h, got, tc.want)
		}
	}
}

// No descriptor of the parent leaks into the child: the loop's poller, the
// pidfds, pipes of other children, files the test has open.
func TestNoDescriptorLeaks(t *testing.T) {
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "fds"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	err = run(t, func(ctx context.Context) error {
		// A second child alive at the same time, with its own pidfd.
		name, args, env := helper("hang")
		other, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull))
		if err != nil {
			return err
		}
		defer func() { other.Kill(); other.Wait(ctx) }()
		name, args, env = helper("fds")
		tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdout(File(out)), WithStdin(DevNull))
		if err != nil {
			return err
		}
		_, err = tr.Wait(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out.Name())
	if leaks := leakedFDs(t, string(got)); len(leaks) > 0 {
		t.Errorf("child had descriptors of ours open beyond stdio: %q", leaks)
	}
}

// A child whose Transport was dropped is still reaped: no zombie.
func TestDroppedChildIsReaped(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		var pid int
		err := run(t, func(ctx context.Context) error {
			name, args, env := helper("exit", "3")
			tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull))
			if err != nil {
				return err
			}
			pid = tr.PID()
			tr = nil
			// Wait through another path: poll until the loop has reaped it.
			for i := 0; i < 1000; i++ {
				if err := eventloop.Sleep(ctx, 1e6); err != nil {
					return err
				}
				// Peek without reaping: a zombie still answers kill(pid, 0),
				// a reaped pid does not. (A wait4 here would reap the child
				// itself and race the loop's watcher.)
				if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
					return nil // reaped by the loop
				}
			}
			t.Errorf("child %d never reaped", pid)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoopCloseReportsAndKillsOnlyIfAsked(t *testing.T) {
	for _, kill := range []bool{false, true} {
		l, err := eventloop.New(eventloop.WithExceptionHandler(func(*eventloop.Loop, eventloop.ExceptionContext) {}))
		if err != nil {
			t.Fatal(err)
		}
		var tr *Transport
		tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
			name, args, env := helper("hang")
			opts := []Option{env, WithStdin(DevNull)}
			if kill {
				opts = append(opts, KillOnClose())
			}
			var err error
			tr, _, err = ExecTransport(ctx, newExit, name, args, opts...)
			return struct{}{}, err
		})
		if err := l.RunUntilComplete(tk); err != nil {
			t.Fatal(err)
		}
		pid := tr.PID()
		err = l.Close()
		var alive *eventloop.AliveError
		if !errors.As(err, &alive) || len(alive.Resources) != 1 || !strings.Contains(alive.Resources[0], "child process "+strconv.Itoa(pid)) {
			t.Fatalf("Close = %v, want the child listed", err)
		}
		alivePid := syscall.Kill(pid, 0) == nil
		if kill && alivePid {
			t.Errorf("KillOnClose: child %d still exists after Close", pid)
		}
		if !kill {
			if !alivePid {
				t.Errorf("child %d died at Close without KillOnClose", pid)
			}
			syscall.Kill(pid, syscall.SIGKILL) // the background reaper collects it
			waitGone(t, pid)
		}
	}
}

// waitGone waits (really: the child is a real process) until pid has been
// reaped by the background reaper.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			return
		}
		sleepMillis(1)
	}
	t.Errorf("pid %d never reaped", pid)
}

// leakedFDs filters the child's "fd=target" list: descriptors this process
// itself inherited without close-on-exec (the test harness's) and the
// cgroup files the Go runtime of the child opens at start are not ours.
func leakedFDs(t *testing.T, list string) []string {
	t.Helper()
	var leaks []string
	for _, e := range strings.Split(list, ",") {
		if e == "" {
			continue
		}
		fd, target, _ := strings.Cut(e, "=")
		if strings.HasPrefix(target, "/sys/fs/cgroup/") {
			continue
		}
		if n, err := strconv.Atoi(fd); err == nil {
			if flags, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
				if mine, _ := os.Readlink("/proc/self/fd/" + fd); mine == target {
					continue // inherited by the test binary itself, not opened by us
				}
			}
		}
		leaks = append(leaks, e)
	}
	return leaks
}
