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
// On Windows the same API runs over os/exec: the start (CreateProcess)
// runs on the loop goroutine, a goroutine per child waits for its exit
// and posts it to the loop, and each Pipe is an os.Pipe whose parent end
// is a transport whose reads and writes run on goroutines that post to
// the loop (transport.ConnectReadFile, ConnectWriteFile). Kill and
// Terminate both call TerminateProcess (Windows has no SIGTERM), after
// which the return code is 1, as in asyncio; SendSignal accepts SIGKILL
// and SIGTERM only and refuses other signals with an error wrapping
// errors.ErrUnsupported. Shell runs %ComSpec% /c. A child still running
// when its loop closes is left running unless started with KillOnClose.
// Wait returns at the exit; a pipe ends once its goroutine has read the
// last bytes, so read the streams to EOF (or use Communicate) before the
// loop closes.
//
// Underneath sits the low-level form, as in asyncio: ExecTransport starts a
// child with a SubprocessProtocol that receives pipe data and the exit, and
// returns a *Transport; Process is built on it.
package subprocess
