package files

import (
	"bytes"
	"context"
	"io"
	"iter"
	"os"
	"strings"
)

// IO is a File bound to the ctx of one task, with the io package's method
// shapes (io.Reader, io.Writer, io.ReaderAt, io.WriterAt, io.Seeker,
// io.ReaderFrom, io.WriterTo, io.StringWriter), so that bufio, io.Copy,
// encoding/json and every other helper written for streams of bytes work
// on a file from inside that task, as streams.NewConn does for a stream.
// Each method is the File's await with the bound ctx: it parks the task,
// never the loop. Like the File, it is for that task only: a call from
// another goroutine fails with an error wrapping eventloop.ErrNotInTask.
// IO does not close the file; Close it through the File.
//
// Cancellation: each method is cancelled as the File's method it calls
// (Read returns the bytes its running system call read, with
// ErrCancelled); ReadFrom and WriteTo stop at the next chunk and return
// the count copied so far.
type IO struct {
	f   *File
	ctx context.Context
}

// IO returns the file bound to ctx, which must be the ctx of the task that
// uses it. No allocation beyond the returned value.
func (f *File) IO(ctx context.Context) *IO { return &IO{f: f, ctx: ctx} }

// Read is File.Read with the bound ctx.
func (b *IO) Read(p []byte) (int, error) { return b.f.Read(b.ctx, p) }

// ReadAt is File.ReadAt with the bound ctx.
func (b *IO) ReadAt(p []byte, off int64) (int, error) { return b.f.ReadAt(b.ctx, p, off) }

// Write is File.Write with the bound ctx.
func (b *IO) Write(p []byte) (int, error) { return b.f.Write(b.ctx, p) }

// WriteString is File.WriteString with the bound ctx.
func (b *IO) WriteString(s string) (int, error) { return b.f.Write(b.ctx, []byte(s)) }

// WriteAt is File.WriteAt with the bound ctx.
func (b *IO) WriteAt(p []byte, off int64) (int, error) { return b.f.WriteAt(b.ctx, p, off) }

// Seek is File.Seek with the bound ctx.
func (b *IO) Seek(offset int64, whence int) (int64, error) { return b.f.Seek(b.ctx, offset, whence) }

// copyBuf is the buffer ReadFrom and WriteTo copy through: one worker call
// moves up to this much, so that io.Copy costs one round trip to the pool
// per 256 KiB instead of per 32 KiB.
const copyBuf = 256 << 10

// ReadFrom copies r to the file until r's EOF (io.ReaderFrom, which
// io.Copy uses) through a 256 KiB buffer, and returns the count written.
func (b *IO) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, copyBuf)
	var total int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			m, err := b.f.Write(b.ctx, buf[:n])
			total += int64(m)
			if err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// WriteTo copies the file from its offset to its end into w (io.WriterTo,
// which io.Copy uses) through a 256 KiB buffer, and returns the count
// written to w.
func (b *IO) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, copyBuf)
	var total int64
	for {
		n, rerr := b.f.Read(b.ctx, buf)
		if n > 0 {
			m, err := w.Write(buf[:n])
			total += int64(m)
			if err == nil && m < n {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// linesChunk is how much Lines reads per call.
const linesChunk = 64 << 10

// Lines returns an iterator over the file's lines from its offset (async
// for line in f): each line without its "\n" (nor a "\r" before it), the
// last one even without a "\n", of any length. It reads 64 KiB per call
// on the pool; when the loop body stops early (break, return) the offset
// is put back to just after the last line yielded, through a Seek queued
// on the file (so the file's next call reads on from there; on a pipe,
// which cannot seek, the bytes read ahead are lost). A read error is
// yielded as ("", err) and ends the iteration.
//
// Cancellation: a cancelled read yields ("", ErrCancelled) and ends the
// iteration; the offset is then put back to just after the last line
// yielded, as on break.
func (f *File) Lines(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var buf []byte // read, not yet yielded
		ahead := func() {
			if len(buf) > 0 && f != nil && f.regular && !f.closing {
				back := int64(len(buf))
				f.enqueue(newJob(func(*job) { f.os.Seek(-back, io.SeekCurrent) }))
			}
		}
		p := make([]byte, linesChunk)
		for {
			if i := bytes.IndexByte(buf, '\n'); i >= 0 {
				line := buf[:i]
				line = bytes.TrimSuffix(line, []byte{'\r'})
				s := string(line)
				buf = buf[i+1:]
				if !yield(s, nil) {
					ahead()
					return
				}
				continue
			}
			n, err := f.Read(ctx, p)
			if n > 0 {
				buf = append(buf, p[:n]...)
			}
			if err == io.EOF {
				if len(buf) > 0 {
					s := strings.TrimSuffix(string(buf), "\r")
					buf = nil
					yield(s, nil)
				}
				return
			}
			if err != nil {
				ahead()
				yield("", err)
				return
			}
		}
	}
}

// OSFile returns the *os.File under the file, for the copy paths that
// hand it to the kernel (streams.StreamWriter.Sendfile, the web server's
// static files through io.ReaderFrom): its offset is the File's offset.
// Its blocking methods must not be called on the loop goroutine; use the
// File's awaits for that.
func (b *IO) OSFile() *os.File { return b.f.os }
