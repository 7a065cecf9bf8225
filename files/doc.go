// Package files is aiofiles for the loop: files and the file system as
// awaits, so that reading and writing a file never blocks the loop.
//
// A regular file is always "ready" to epoll and kqueue, so a read of a
// cold file made on the loop goroutine stops every timer and connection
// of the loop until the disk answers. Each call here (OpenFile, File.Read,
// File.Write, ReadFile, Stat, Rename, ReadDir...) is an await instead: the
// task parks, the system call runs on a worker of the loop's files pool,
// and the task resumes with the os package's result and error.
//
// # Where the calls run
//
// Each loop has its own bounded pool of worker goroutines (DefaultWorkers,
// or WithWorkers), started on first use and ended when the loop closes,
// with one FIFO queue. It is not the loop's default executor: a burst of
// file calls would otherwise queue behind (or in front of) name look-ups
// and ToThread calls, and a worker that finishes a call takes the next
// one at once, without a round trip through the loop. docs/design.md (D15)
// has the measurement.
//
// # Ordering
//
// Calls on one File run one at a time in the order they were made, so a
// Read after a Seek reads from the new offset, even from several tasks.
// Calls on different Files, and path calls, run in parallel, up to the
// pool's size.
//
// # Cancellation
//
// Every await says in its doc what a cancellation did. In short: a call
// still queued never runs; a read or write that runs is told to stop at
// its next chunk (1 MiB) and reports the bytes it moved, so the file's
// offset is exactly where those bytes say; a call on a pipe or FIFO is
// interrupted at once through its deadline. Close always closes.
//
// # The io shape
//
// File.IO binds a File to the ctx of one task and gives it io.Reader,
// io.Writer, io.ReaderAt, io.WriterAt, io.Seeker, io.ReaderFrom and
// io.WriterTo, so that bufio, io.Copy and the streams helpers work on
// a file as on a stream. streams.Sendfile copies a file to a stream with
// sendfile(2) where the transport allows.
//
// # Errors
//
// Errors are the os package's *fs.PathError, so errors.Is(err,
// fs.ErrNotExist) and errors.As(err, &pathErr) work as with os.
package files
