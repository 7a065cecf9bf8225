package subprocess

// Close releases what the Process holds: it closes the child's pipes
// (Stdin, Stdout, Stderr: a reader keeps what it had buffered and then
// reads EOF) and, if the child is still running, kills it with SIGKILL
// (TerminateProcess on Windows), as asyncio's SubprocessTransport.close
// does; the loop reaps the child as usual, so a Wait after Close still
// returns its status. Call it when done with a Process, in particular
// after Kill and Wait: a child's exit does not close a Stdin pipe the
// program never closed, and its descriptor stays open until Close. Close
// is idempotent: a second call does nothing and returns nil. Loop
// goroutine (or its tasks) only.
func (p *Process) Close() error { return p.t.Close() }
