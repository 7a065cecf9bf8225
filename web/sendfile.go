package web

import (
	"io"
	"os"
)

// osFiler is a reader that can hand its file to the kernel (files.IO).
type osFiler interface{ OSFile() *os.File }

// sendfileSource finds the file under src: an *os.File or an OSFile
// reader, bare or in the io.LimitedReader that io.CopyN (and so
// http.ServeContent and http.FileServer) wraps it in. limit is -1 when
// nothing limits it.
func sendfileSource(src io.Reader) (f *os.File, lr *io.LimitedReader) {
	r := src
	if l, ok := src.(*io.LimitedReader); ok {
		lr, r = l, l.R
	}
	switch v := r.(type) {
	case *os.File:
		f = v
	case osFiler:
		f = v.OSFile()
	}
	return f, lr
}

// sendfileHook, set by tests, learns each body that went to Sendfile.
var sendfileHook func(n int64)

// writerOnly hides the response's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// ReadFrom implements io.ReaderFrom, which io.Copy and so
// http.ServeContent and http.FileServer use: a regular file (an *os.File
// or a files.IO, bare or in an io.LimitedReader) of a response with a
// Content-Length goes to the connection with streams' Sendfile, so
// sendfile(2) on a plain TCP connection on Linux and reads and writes off
// the loop otherwise. Any other source, and a response that is chunked,
// a HEAD response or one without a body, is copied through Write.
func (w *response) ReadFrom(src io.Reader) (int64, error) {
	f, lr := sendfileSource(src)
	if f == nil || w.c.hijack {
		return io.Copy(writerOnly{w}, src)
	}
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.head || !bodyAllowed(w.status) || w.contentLength < 0 || w.chunked {
		return io.Copy(writerOnly{w}, src)
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return io.Copy(writerOnly{w}, src)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return io.Copy(writerOnly{w}, src)
	}
	n := min(w.contentLength-w.written, fi.Size()-pos)
	if lr != nil {
		n = min(n, lr.N)
	}
	if n <= 0 {
		return io.Copy(writerOnly{w}, src)
	}
	if !w.committed {
		if err := w.commit(false); err != nil {
			return 0, err
		}
	}
	c := w.c
	if c.broken == nil {
		if err := c.bw.Flush(); err != nil {
			return 0, err
		}
	}
	if c.broken != nil {
		return 0, c.broken
	}
	if sendfileHook != nil {
		sendfileHook(n)
	}
	sent, err := c.sw.Sendfile(c.rctx, f, pos, n)
	w.written += sent
	if lr != nil {
		lr.N -= sent
	}
	if _, serr := f.Seek(pos+sent, io.SeekStart); err == nil {
		err = serr
	}
	if err != nil {
		c.broken = err
	}
	return sent, err
}
