package subprocess

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// runToFile runs name with args, its stdout going to a file, and returns
// what it wrote.
func runToFile(t *testing.T, name string, args []string, opts ...Option) string {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	err = run(t, func(ctx context.Context) error {
		tr, _, err := ExecTransport(ctx, newExit, name, args, append(opts, WithStdout(File(out)), WithStdin(DevNull))...)
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
	return string(got)
}

// unignore gives the runtime its handler of sigs back after signal.Ignore
// (signal.Reset alone leaves them ignored). SIGHUP stays ignored all the
// same: the runtime then takes it for a program started under nohup.
func unignore(sigs ...os.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	signal.Stop(ch)
}

// A child starts with SIGPIPE and SIGHUP at their defaults even when the
// parent ignores them (asyncio's restore_signals): a shell pipeline in the
// child must die of SIGPIPE, not loop on EPIPE. The child reads its own
// dispositions from /proc/self/status (cat, not a Go helper: the Go
// runtime would install its own SIGPIPE handler at start).
func TestChildSignalDefaults(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat")
	}
	signal.Ignore(syscall.SIGPIPE, syscall.SIGHUP)
	defer unignore(syscall.SIGPIPE, syscall.SIGHUP)
	status := runToFile(t, cat, []string{"/proc/self/status"})
	var ign uint64
	found := false
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			ign, err = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			found = err == nil
		}
	}
	if !found {
		t.Fatalf("no SigIgn line in %q", status)
	}
	for _, sig := range []syscall.Signal{syscall.SIGPIPE, syscall.SIGHUP} {
		if ign&(1<<(uint(sig)-1)) != 0 {
			t.Errorf("child starts with %v ignored (SigIgn %#x)", sig, ign)
		}
	}
	if !signal.Ignored(syscall.SIGPIPE) || !signal.Ignored(syscall.SIGHUP) {
		t.Error("the parent's dispositions changed")
	}
}

// A descriptor the program opened without close-on-exec is not inherited
// (asyncio's close_fds=True), and stays as it was in the parent.
func TestNoInheritedNonCloexecFD(t *testing.T) {
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	name, args, env := helper("fds")
	got := runToFile(t, name, args, env)
	for _, e := range strings.Split(got, ",") {
		if n, _, _ := strings.Cut(e, "="); n == strconv.Itoa(fd) {
			t.Errorf("child inherited fd %d (%s); it has %q", fd, e, got)
		}
	}
	if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC != 0 {
		t.Errorf("parent's fd flags changed: %#x, %v", flags, err)
	}
}

// With SIGCHLD ignored the kernel reaps children itself, so the exit
// status is lost: Wait says so instead of making one up (asyncio reports
// 255 with a warning).
func TestWaitSIGCHLDIgnored(t *testing.T) {
	if !usePidfd {
		t.Skip("needs pidfd: the SIGCHLD watcher takes SIGCHLD back from ignored")
	}
	signal.Ignore(syscall.SIGCHLD)
	defer unignore(syscall.SIGCHLD)
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("exit", "3")
		tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull))
		if err != nil {
			return err
		}
		code, err := tr.Wait(ctx)
		if !errors.Is(err, ErrStatusUnknown) {
			t.Errorf("Wait with SIGCHLD ignored = %d, %v; want ErrStatusUnknown", code, err)
		}
		if rc, ok := tr.ReturnCode(); ok || rc != 0 {
			t.Errorf("ReturnCode = %d, %v; want 0, false (unknown)", rc, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
