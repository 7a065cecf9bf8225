package subprocess

import (
	"os"
)

// Stdio says what one of a child's standard streams is connected to. The
// zero value is Inherit.
type Stdio struct {
	kind stdioKind
	file *os.File
}

type stdioKind uint8

const (
	kindInherit stdioKind = iota
	kindPipe
	kindDevNull
	kindFile
	kindStdout
)

var (
	// Inherit gives the child the parent's own stream (asyncio: None).
	Inherit = Stdio{kind: kindInherit}
	// Pipe connects the stream to the parent through a pipe the loop
	// watches: Process.Stdin, Stdout or Stderr (asyncio: PIPE).
	Pipe = Stdio{kind: kindPipe}
	// DevNull connects the stream to /dev/null (asyncio: DEVNULL).
	DevNull = Stdio{kind: kindDevNull}
	// Stdout, for stderr only, sends the child's stderr wherever its
	// stdout goes (asyncio: STDOUT).
	Stdout = Stdio{kind: kindStdout}
)

// File connects the stream to an open file (or pipe, or socket) the caller
// owns; the child gets its own copy of the descriptor, and the caller may
// close f once Exec returned.
func File(f *os.File) Stdio { return Stdio{kind: kindFile, file: f} }

func (s Stdio) String() string {
	switch s.kind {
	case kindPipe:
		return "Pipe"
	case kindDevNull:
		return "DevNull"
	case kindFile:
		if s.file == nil {
			return "File(nil)"
		}
		return "File(" + s.file.Name() + ")"
	case kindStdout:
		return "Stdout"
	}
	return "Inherit"
}

// Option configures Exec, Shell and ExecTransport.
type Option func(*config)

type config struct {
	env          []string
	envSet       bool
	dir          string
	stdin        Stdio
	stdout       Stdio
	stderr       Stdio
	processGroup bool
	session      bool
	limit        int
	killOnClose  bool
	killOnCancel bool
	stdioSet     [3]bool
	//lint:ignore U1000 used by Shell on Windows
	cmdLine string // Windows: the raw command line (Shell), argv unquoted
}

// WithEnv sets the child's environment ("KEY=value" entries); without it
// the child inherits the parent's. An empty, non-nil slice gives an empty
// environment.
func WithEnv(env []string) Option {
	return func(c *config) { c.env, c.envSet = env, true }
}

// WithDir runs the child in dir instead of the parent's working directory.
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithStdin, WithStdout and WithStderr connect the child's streams. Exec and
// Shell default to Inherit for all three, as asyncio does.
func WithStdin(s Stdio) Option {
	return func(c *config) { c.stdin, c.stdioSet[0] = s, true }
}

// WithStdout connects the child's stdout; see WithStdin.
func WithStdout(s Stdio) Option {
	return func(c *config) { c.stdout, c.stdioSet[1] = s, true }
}

// WithStderr connects the child's stderr; see WithStdin. Stdout is allowed
// here only.
func WithStderr(s Stdio) Option {
	return func(c *config) { c.stderr, c.stdioSet[2] = s, true }
}

// WithNewProcessGroup starts the child in a process group of its own
// (setpgid), so a signal to the group reaches its children too and a
// terminal's Ctrl-C does not.
func WithNewProcessGroup() Option { return func(c *config) { c.processGroup = true } }

// WithNewSession starts the child in a new session (setsid), detached from
// the controlling terminal (asyncio: start_new_session=True).
func WithNewSession() Option { return func(c *config) { c.session = true } }

// WithLimit sets the buffer limit of the Stdout and Stderr readers (64 KiB
// by default, the streams default); see streams.StreamReader.
func WithLimit(n int) Option { return func(c *config) { c.limit = n } }

// KillOnClose makes the loop kill (SIGKILL) and reap the child if it is
// still running when the loop closes. Without it the child is left
// running, listed in Close's *eventloop.AliveError, and reaped in the
// background when it exits, so it never lingers as a zombie.
func KillOnClose() Option { return func(c *config) { c.killOnClose = true } }

// KillOnCancel makes a cancelled Wait or Communicate kill the child before
// returning. Without it, cancelling an await leaves the child running, as
// asyncio does.
func KillOnCancel() Option { return func(c *config) { c.killOnCancel = true } }
