package subprocess

import (
	"errors"
	"os"
)

// Error reports a child that could not be started: Op is what failed
// ("exec", "lookup", "dir", "stdin", …), Path the program or directory it
// concerned.
type Error struct {
	Op   string
	Path string
	Err  error
}

func (e *Error) Error() string {
	return "subprocess: " + e.Op + " " + e.Path + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrProcessDone is returned by SendSignal, Terminate and Kill once the
	// child has exited and been reaped (asyncio: ProcessLookupError). It is
	// os.ErrProcessDone, so either name matches with errors.Is.
	ErrProcessDone = os.ErrProcessDone
	// ErrBadOption reports an option that cannot work (Stdout given for
	// stdin, File(nil), an empty command).
	ErrBadOption = errors.New("subprocess: bad option")
	// ErrNotPiped: Communicate was asked to feed input to a child whose
	// stdin is not a Pipe.
	ErrNotPiped = errors.New("subprocess: stream is not a pipe")
)

// ErrStatusUnknown is returned by Wait when the child has exited but its
// exit status is lost: something else reaped it (SIGCHLD ignored, so the
// kernel reaps children itself, or a wait for any child elsewhere in the
// program). asyncio reports exit status 255 with a warning instead.
var ErrStatusUnknown = errors.New("subprocess: exit status unknown: the child was reaped elsewhere (is SIGCHLD ignored?)")
