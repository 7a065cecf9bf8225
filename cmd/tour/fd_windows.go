package main

// On Windows the loop has no readiness poller and a process cannot send
// itself a signal, so the stops that need either say so and move on.

func (t *tour) reader() error {
	t.stop("AddReader: a callback whenever a pipe is readable")
	t.say("skipped on windows: AddReader needs a readiness poller (the loop's I/O there completes on goroutines)")
	return nil
}

func (t *tour) close() error {
	t.stop("Close reports what is still alive, and task errors nobody read")
	t.say("skipped on windows: this stop leaves a pipe's reader registered")
	return nil
}

func (t *tour) signal() error {
	t.stop("AddSignalHandler: SIGUSR1, sent to ourselves, handled on the loop")
	t.say("skipped on windows: a process cannot send itself a signal there (Ctrl-C and Ctrl-Break reach AddSignalHandler(os.Interrupt))")
	return nil
}
