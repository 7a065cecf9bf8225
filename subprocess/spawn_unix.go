//go:build unix

package subprocess

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
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
// its three standard streams.
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
	pid, _, err := syscall.StartProcess(path, argv, &syscall.ProcAttr{
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
