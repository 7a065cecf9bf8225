package subprocess

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/aio-go/aio/eventloop"
)

// Starting a child on Windows: os/exec's Start (CreateProcess, which
// returns once the process exists, without a fork to wait for) runs on the
// loop goroutine. Each Pipe stream is an os.Pipe whose child end goes to
// the child (os/exec makes it inheritable for that one process) and is
// closed in the parent right after; the parent end becomes a file
// transport.

// started is what a start hands back: the process and the parent's ends
// of the pipes (nil where the stream is not a Pipe).
type started struct {
	proc  *os.Process
	pipes [3]*os.File
}

func startChild(ctx context.Context, l *eventloop.Loop, name string, argv []string, cf *config) (st started, err error) {
	if err := eventloop.AwaitError(ctx); err != nil {
		return st, err
	}
	path, err := resolve(name)
	if err != nil {
		return st, err
	}
	if cf.dir != "" {
		fi, err := os.Stat(cf.dir)
		if err != nil {
			return st, &Error{Op: "dir", Path: cf.dir, Err: unwrapPathError(err)}
		}
		if !fi.IsDir() {
			return st, &Error{Op: "dir", Path: cf.dir, Err: syscall.ENOTDIR}
		}
	}
	var childEnds []*os.File // closed in the parent once the child has them
	defer func() {
		for _, f := range childEnds {
			f.Close()
		}
		if err != nil {
			for i, f := range st.pipes {
				if f != nil {
					f.Close()
					st.pipes[i] = nil
				}
			}
		}
	}()
	var files [3]*os.File
	std := [3]*os.File{os.Stdin, os.Stdout, os.Stderr}
	var devnull *os.File
	for i, s := range [3]Stdio{cf.stdin, cf.stdout, cf.stderr} {
		switch s.kind {
		case kindInherit:
			files[i] = std[i]
		case kindDevNull:
			if devnull == nil {
				f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
				if err != nil {
					return st, &Error{Op: streamName(i), Path: os.DevNull, Err: unwrapPathError(err)}
				}
				devnull = f
				childEnds = append(childEnds, f)
			}
			files[i] = devnull
		case kindFile:
			if s.file == nil {
				return st, &Error{Op: streamName(i), Path: "File(nil)", Err: ErrBadOption}
			}
			files[i] = s.file
		case kindStdout:
			if i != 2 {
				return st, &Error{Op: streamName(i), Path: "Stdout", Err: fmt.Errorf("%w: Stdout is for stderr only", ErrBadOption)}
			}
			files[2] = files[1]
		case kindPipe:
			r, w, err := os.Pipe()
			if err != nil {
				return st, &Error{Op: streamName(i), Path: "pipe", Err: err}
			}
			parent, child := w, r // stdin: the parent writes
			if i > 0 {
				parent, child = r, w
			}
			childEnds = append(childEnds, child)
			st.pipes[i] = parent
			files[i] = child
		}
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Dir: cf.dir, Stdin: files[0], Stdout: files[1], Stderr: files[2]}
	if cf.envSet {
		cmd.Env = cf.env
		if cmd.Env == nil {
			cmd.Env = []string{}
		}
	}
	sys := &syscall.SysProcAttr{CmdLine: cf.cmdLine}
	if cf.processGroup || cf.session {
		sys.CreationFlags |= syscall.CREATE_NEW_PROCESS_GROUP
	}
	if cf.session {
		sys.CreationFlags |= detachedProcess
	}
	cmd.SysProcAttr = sys
	if err := cmd.Start(); err != nil {
		return st, &Error{Op: "exec", Path: path, Err: unwrapPathError(err)}
	}
	st.proc = cmd.Process
	return st, nil
}

// detachedProcess is DETACHED_PROCESS: the child has no console (the
// nearest thing to a new session).
const detachedProcess = 0x00000008

// resolve finds the program as os/exec does (PATH and PATHEXT), so the
// error names what was not found.
func resolve(name string) (string, error) {
	if name == "" {
		return "", &Error{Op: "exec", Path: `""`, Err: fmt.Errorf("%w: empty program name", ErrBadOption)}
	}
	p, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrDot) {
		return "", &Error{Op: "exec", Path: name, Err: exec.ErrDot}
	}
	if err != nil {
		return "", &Error{Op: "exec", Path: name, Err: errors.Join(exec.ErrNotFound, unwrapPathError(err))}
	}
	return p, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

func streamName(i int) string {
	return [...]string{"stdin", "stdout", "stderr"}[i]
}
