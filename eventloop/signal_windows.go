package eventloop

import "syscall"

// catchable reports whether a handler can be installed for s: Windows
// delivers only Ctrl-C and Ctrl-Break (as SIGINT, os.Interrupt) and the
// console's close, log-off and shutdown events (as SIGTERM).
func catchable(s syscall.Signal) bool { return s == syscall.SIGINT || s == syscall.SIGTERM }
