// Package subprocess runs child processes from a loop's tasks, asyncio's
// subprocess layer in Go form: Exec and Shell start a child, its pipes are
// streams (a StreamWriter for stdin, StreamReaders for stdout and stderr),
// and Wait, Communicate, SendSignal, Terminate and Kill manage it.
//
// The loop watches each child's exit without a thread per child: on Linux
// 5.3 and later the child's pidfd is registered in the loop's poller; on
// older kernels and on the BSDs and darwin a SIGCHLD watcher reaps the
// loop's own children with wait4 on their pids (never wait(-1), so children
// started by os/exec or by another loop are left to their owners). Every
// child is reaped, including one whose Process value was dropped, so no
// zombie stays behind; a child still running when its loop closes is listed
// in the loop's *eventloop.AliveError, and killed only if it was started
// with KillOnClose.
//
// A start (fork, exec, the wait for the exec to succeed) runs on a
// goroutine of its own while the calling task waits, so the starts of
// several tasks overlap and the loop keeps running meanwhile; the pidfd and
// the pipes are then registered on the loop.
//
// Signals are sent through the pidfd where there is one, and otherwise only
// while the child has not been reaped (the loop is the only reaper), so a
// signal never reaches a process that reused the pid.
//
// Underneath sits the low-level form, as in asyncio: ExecTransport starts a
// child with a SubprocessProtocol that receives pipe data and the exit, and
// returns a *Transport; Process is built on it.
package subprocess
