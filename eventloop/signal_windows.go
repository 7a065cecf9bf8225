package eventloop

import (
	"strconv"
	"syscall"
)

// catchable reports whether a handler can be installed for s: Windows
// delivers only Ctrl-C and Ctrl-Break (as SIGINT, os.Interrupt) and the
// console's close, log-off and shutdown events (as SIGTERM).
func catchable(s syscall.Signal) bool { return s == syscall.SIGINT || s == syscall.SIGTERM }

// signalName is the name of s as C spells it ("SIGKILL"), or "signal N"
// for a number Windows' syscall package gives no name.
func signalName(s syscall.Signal) string {
	names := [...]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
		7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
		13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"}
	if s > 0 && int(s) < len(names) && names[s] != "" {
		return names[s]
	}
	return "signal " + strconv.Itoa(int(s))
}
