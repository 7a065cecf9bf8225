//go:build unix

package subprocess

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// started is what spawn hands back: the child's pid and pidfd (-1 when the
// kernel gave none) and the parent's ends of the pipes (-1 where the stream
// is not a Pipe), non-blocking and close-on-exec.
type started struct {
	pid   int
	pidfd int
	pipes [3]int
}

// resolve finds the program the way execvp does (a name without a slash is
// looked up in PATH), so the error names what was not found.
func resolve(name string) (string, error) {
	if name == "" {
		return "", &Error{Op: "exec", Path: `""`, Err: fmt.Errorf("%w: empty program name", ErrBadOption)}
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	p, err := exec.LookPath(name)
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return "", &Error{Op: "exec", Path: name, Err: exec.ErrNotFound}
	}
	if err != nil { // found relative to "." through PATH: refuse, as os/exec does
		return "", &Error{Op: "exec", Path: name, Err: exec.ErrDot}
	}
	return p, nil
}

// spawn starts argv[0] (already resolved to path). Every descriptor the
// parent opens here is close-on-exec from birth (pipe2, open with
// O_CLOEXEC), so no concurrent fork can inherit it; the child receives only
// its three standard streams (startClean keeps the program's other
// descriptors out too) and default SIGPIPE and SIGHUP dispositions.
func spawn(path string, argv []string, cf *config) (st started, err error) {
	st = started{pidfd: -1, pipes: [3]int{-1, -1, -1}}
	if cf.dir != "" {
		fi, err := os.Stat(cf.dir)
		if err != nil {
			return st, &Error{Op: "dir", Path: cf.dir, Err: unwrapPathError(err)}
		}
		if !fi.IsDir() {
			return st, &Error{Op: "dir", Path: cf.dir, Err: syscall.ENOTDIR}
		}
	}
	var childEnds []int // closed in the parent once the child has them
	defer func() {
		for _, fd := range childEnds {
			unix.Close(fd)
		}
		if err != nil {
			for i, fd := range st.pipes {
				if fd >= 0 {
					unix.Close(fd)
					st.pipes[i] = -1
				}
			}
		}
	}()
	var files [3]uintptr
	var devnull = -1
	streams := [3]Stdio{cf.stdin, cf.stdout, cf.stderr}
	for i, s := range streams {
		switch s.kind {
		case kindInherit:
			files[i] = uintptr(i)
		case kindDevNull:
			if devnull < 0 {
				fd, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
				if err != nil {
					return st, &Error{Op: streamName(i), Path: os.DevNull, Err: err}
				}
				devnull = fd
				childEnds = append(childEnds, fd)
			}
			files[i] = uintptr(devnull)
		case kindFile:
			if s.file == nil {
				return st, &Error{Op: streamName(i), Path: "File(nil)", Err: ErrBadOption}
			}
			fd, err := fileFD(s.file)
			if err != nil {
				return st, &Error{Op: streamName(i), Path: s.file.Name(), Err: err}
			}
			files[i] = uintptr(fd)
			defer runtime.KeepAlive(s.file)
		case kindStdout:
			if i != 2 {
				return st, &Error{Op: streamName(i), Path: "Stdout", Err: fmt.Errorf("%w: Stdout is for stderr only", ErrBadOption)}
			}
			files[2] = files[1]
		case kindPipe:
			var p [2]int
			if err := cloexecPipe(p[:]); err != nil {
				return st, &Error{Op: streamName(i), Path: "pipe", Err: err}
			}
			parent, child := p[1], p[0] // stdin: the parent writes
			if i > 0 {
				parent, child = p[0], p[1]
			}
			childEnds = append(childEnds, child)
			st.pipes[i] = parent
			if err := unix.SetNonblock(parent, true); err != nil {
				return st, &Error{Op: streamName(i), Path: "pipe", Err: err}
			}
			files[i] = uintptr(child)
		}
	}
	env := cf.env
	if !cf.envSet {
		env = os.Environ()
	}
	sys := &syscall.SysProcAttr{Setsid: cf.session, Setpgid: cf.processGroup && !cf.session}
	setPidFD(sys, &st.pidfd)
	pid, err := startClean(path, argv, &syscall.ProcAttr{
		Dir:   cf.dir,
		Env:   env,
		Files: files[:],
		Sys:   sys,
	})
	if err != nil {
		return st, &Error{Op: "exec", Path: path, Err: err}
	}
	st.pid = pid
	return st, nil
}

// spawnMu serialises startClean: one start's changes to the process's
// descriptors and dispositions must not be undone under another's fork.
// Forks are serialised anyway (syscall.ForkLock); this adds the sweep.
var spawnMu sync.Mutex

// resetSignals are the signals a child starts with at their defaults even
// when the parent ignores them: ignored dispositions survive exec, and a
// child with SIGPIPE ignored loops on EPIPE where it should die.
var resetSignals = []os.Signal{syscall.SIGPIPE, syscall.SIGHUP}

// startClean is syscall.StartProcess with asyncio's close_fds=True and
// restore_signals=True, which Go's fork has no hook for:
//
//   - A descriptor above 2 the program opened without close-on-exec (the
//     library's own all have it) would be inherited. Each one is marked
//     close-on-exec for the fork and unmarked after, so the child gets
//     only attr.Files. A fork elsewhere in the program at that instant
//     (one that relies on inheriting such a descriptor implicitly; os/exec
//     passes its ExtraFiles explicitly and is not affected) would miss it.
//   - A signal the parent ignores (signal.Ignore, nohup) stays ignored
//     across exec. Go resets in the child the signals its runtime handles,
//     so for the fork each ignored one of resetSignals is handled (its
//     deliveries dropped, as if still ignored) and then ignored again.
func startClean(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	spawnMu.Lock()
	defer spawnMu.Unlock()
	var ignored []os.Signal
	for _, sig := range resetSignals {
		if signal.Ignored(sig) {
			ignored = append(ignored, sig)
		}
	}
	if len(ignored) > 0 {
		ch := make(chan os.Signal, 1) // deliveries meanwhile are dropped
		signal.Notify(ch, ignored...)
		defer func() {
			signal.Ignore(ignored...)
			signal.Stop(ch)
		}()
	}
	marked := markInheritable(attr.Files)
	defer func() {
		for _, fd := range marked {
			unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
		}
	}()
	pid, _, err := syscall.StartProcess(path, argv, attr)
	return pid, err
}

// markInheritable sets close-on-exec on every open descriptor above 2
// that lacks it and is not one of pass, and returns them. Where the open
// descriptors cannot be listed it does nothing.
func markInheritable(pass []uintptr) []int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		if ents, err = os.ReadDir("/dev/fd"); err != nil {
			return nil
		}
	}
	var marked []int
next:
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		for _, p := range pass {
			if uintptr(fd) == p {
				continue next
			}
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			continue // closed meanwhile (the listing's own), or already set
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC); err == nil {
			marked = append(marked, fd)
		}
	}
	return marked
}

// fileFD returns f's descriptor without switching it to blocking mode (as
// f.Fd would).
func fileFD(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, err
	}
	return fd, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func streamName(i int) string {
	return [...]string{"stdin", "stdout", "stderr"}[i]
}
