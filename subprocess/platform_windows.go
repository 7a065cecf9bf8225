package subprocess

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// Shell runs command through the command interpreter, %ComSpec% (cmd.exe)
// /c command, as asyncio's create_subprocess_shell does on Windows. The
// command line is passed to cmd.exe as it is, without quoting.
//
// Warning: cmd.exe interprets everything in command (&, |, <, >, ^, %).
// Never build command from untrusted input; use Exec, which passes
// arguments to the program as they are (Quote and QuoteArgs quote for
// POSIX shells, not for cmd.exe).
func Shell(ctx context.Context, command string, opts ...Option) (*Process, error) {
	comspec := os.Getenv("ComSpec")
	if comspec == "" {
		comspec = "cmd.exe"
	}
	opts = append(opts[:len(opts):len(opts)], func(c *config) {
		c.cmdLine = syscall.EscapeArg(comspec) + " /c " + command
	})
	return Exec(ctx, comspec, []string{"/c", command}, opts...)
}

// Windows' own broken-pipe errors: ERROR_BROKEN_PIPE (the reader closed)
// and ERROR_NO_DATA (the pipe is being closed).
const (
	errorBrokenPipe syscall.Errno = 109
	errorNoData     syscall.Errno = 232
)

func brokenPipeOS(err error) bool {
	return errors.Is(err, errorBrokenPipe) || errors.Is(err, errorNoData)
}
