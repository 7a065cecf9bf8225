// Package debugserver is the outside view of a program's event loops: an
// opt-in, read-only endpoint on a Unix socket that answers with a snapshot
// of every loop it serves (statistics and the live task tree), and the
// client that reads it, which the aio command (cmd/aio: ps, pstree, stats)
// is built on. It is Python's "python -m asyncio ps PID" for Go programs,
// except that the program opts in: nothing listens unless it calls Listen.
//
// The socket is made owner-only (mode 0600) before it becomes visible at
// its path: it is bound in a fresh private directory, its mode set, and
// only then renamed into place; the default path is in $XDG_RUNTIME_DIR or
// in a per-user 0700 directory under os.TempDir(). The endpoint only
// answers snapshot requests, and a snapshot is taken on each loop's own
// goroutine (eventloop.Loop.SnapshotThreadsafe), bounded in time, so a
// stuck loop is reported as such instead of hanging the client.
//
// docs/introspection.md describes the protocol, the fields and the costs.
package debugserver
