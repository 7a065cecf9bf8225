//go:build unix

package subprocess

import "context"

// Shell runs command through /bin/sh -c (asyncio's
// create_subprocess_shell).
//
// Warning: the shell interprets everything in command — spaces, quotes, $,
// ;, |, backquotes. Never build command from untrusted input without
// quoting each word with Quote (or QuoteArgs); better, use Exec, which
// passes arguments to the program as they are.
func Shell(ctx context.Context, command string, opts ...Option) (*Process, error) {
	return Exec(ctx, "/bin/sh", []string{"-c", command}, opts...)
}

// brokenPipeOS reports the platform's own broken-pipe errors beyond EPIPE
// and ECONNRESET: none on Unix.
func brokenPipeOS(error) bool { return false }
