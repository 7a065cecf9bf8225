package debugserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// ProtocolVersion is the version of the request and report format. A
// request is one line, "snapshot v1"; the answer is one JSON Report (or
// {"error": ...}), after which the server closes the connection.
const ProtocolVersion = 1

const request = "snapshot v1"

// Errors. Messages start with "debugserver:".
var (
	// ErrUnsafePath: the socket's directory is not private to this user,
	// or something that is not a stale socket of ours sits at the path.
	ErrUnsafePath = errors.New("debugserver: unsafe socket path")
	// ErrInUse: another endpoint answers at the path.
	ErrInUse = errors.New("debugserver: socket path in use")
	// ErrNoEndpoint: nothing listens for the process or at the path.
	ErrNoEndpoint = errors.New("debugserver: no debug endpoint")
	// ErrNoProcess: no process has the PID.
	ErrNoProcess = errors.New("debugserver: no such process")
	// ErrServerClosed: the server is closed.
	ErrServerClosed = errors.New("debugserver: server closed")
)

// Report is what the endpoint answers: the process and one snapshot per
// loop, in the order the loops were added.
type Report struct {
	Version int          `json:"version"`
	PID     int          `json:"pid"`
	Program string       `json:"program"`
	Loops   []LoopReport `json:"loops"`
}

// LoopReport is one loop's snapshot. Error is set when the loop did not
// answer in time (it is not running, or a callback or task step is
// blocking it): then only Name and Running are known.
type LoopReport struct {
	eventloop.LoopSnapshot
	Error string `json:"error,omitempty"`
}

// Server is a running endpoint. Its methods are safe from any goroutine.
type Server struct {
	ln   *net.UnixListener
	path string
	done chan struct{} // closed when serve returns

	mu      sync.Mutex // protects loops, closed, timeout
	loops   []served
	closed  bool
	timeout time.Duration // how long to wait for each loop's snapshot
}

type served struct {
	loop   *eventloop.Loop
	remove func() bool // unregisters the loop's close hook
}

// Listen opens an endpoint at path (DefaultPath(os.Getpid()) when path is
// "") serving the given loops, and returns once it listens. More loops can
// be added with Add. A loop leaves the endpoint when it closes, and the
// endpoint closes with the last of its loops (if it had any), so that a
// program that closes its loops leaves no goroutine and no socket behind;
// Close ends it earlier.
//
// The socket gets mode 0600 before it appears at path (see the package
// comment). A stale socket left at path by a dead process is replaced;
// anything else there is an error (ErrInUse when an endpoint answers,
// ErrUnsafePath when it is not a socket). Listen does not touch the
// loops' goroutines: it may be called from any goroutine.
func Listen(path string, loops ...*eventloop.Loop) (*Server, error) {
	if path == "" {
		path = DefaultPath(os.Getpid())
		if os.Getenv("XDG_RUNTIME_DIR") == "" {
			if err := ensurePrivateDir(filepath.Dir(path)); err != nil {
				return nil, err
			}
		}
	}
	for _, l := range loops {
		if l == nil {
			return nil, errors.New("debugserver: Listen: nil loop")
		}
		if l.IsClosed() {
			return nil, fmt.Errorf("debugserver: Listen: loop %q: %w", l.Name(), eventloop.ErrClosed)
		}
	}
	if err := clearStale(path); err != nil {
		return nil, err
	}
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, path: path, timeout: 2 * time.Second, done: make(chan struct{})}
	for _, l := range loops {
		if err := s.Add(l); err != nil {
			s.Close()
			return nil, err
		}
	}
	go s.serve()
	return s, nil
}

// listenPrivate binds a Unix socket at path that only this user can
// connect to, without a moment where it exists there with a looser mode:
// it binds in a new 0700 directory next to path, sets mode 0600, and
// renames the socket into place.
func listenPrivate(path string) (*net.UnixListener, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".aio-debug-")
	if err != nil {
		return nil, fmt.Errorf("debugserver: %w", err)
	}
	defer os.RemoveAll(tmp)
	bound := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: bound, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("debugserver: listening at %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // the socket moves; Close removes it by its final path
	if err := os.Chmod(bound, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("debugserver: %w", err)
	}
	if err := os.Rename(bound, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("debugserver: %w", err)
	}
	return ln, nil
}

// clearStale removes a socket at path that nobody answers on (left by a
// process that died), and refuses anything else.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("debugserver: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("debugserver: %s exists and is not a socket: %w", path, ErrUnsafePath)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("debugserver: %s: %w", path, ErrInUse)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("debugserver: removing stale socket: %w", err)
	}
	return nil
}

// Add makes the endpoint serve l too. A loop is served once however many
// times it is added. It fails on a closed server or loop.
func (s *Server) Add(l *eventloop.Loop) error {
	if l == nil {
		return errors.New("debugserver: Add: nil loop")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	for _, e := range s.loops {
		if e.loop == l {
			return nil
		}
	}
	remove, err := l.OnClose(func() { s.loopClosed(l) })
	if err != nil {
		return fmt.Errorf("debugserver: Add: loop %q: %w", l.Name(), err)
	}
	s.loops = append(s.loops, served{l, remove})
	return nil
}

// loopClosed drops l; the server closes with its last loop.
func (s *Server) loopClosed(l *eventloop.Loop) {
	s.mu.Lock()
	for i, e := range s.loops {
		if e.loop == l {
			s.loops = append(s.loops[:i], s.loops[i+1:]...)
			break
		}
	}
	last := len(s.loops) == 0
	s.mu.Unlock()
	if last {
		s.Close()
	}
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.path }

// Close stops the endpoint, waits for its goroutine to end and removes
// the socket. Idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	loops := s.loops
	s.loops = nil
	s.mu.Unlock()
	for _, e := range loops {
		e.remove()
	}
	err := s.ln.Close()
	<-s.done
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// serve answers one connection at a time: a debug endpoint has few
// clients, and a deadline bounds each.
func (s *Server) serve() {
	defer close(s.done)
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a transient accept error (EMFILE): try the next
		}
		s.handle(c)
	}
}

func (s *Server) handle(c *net.UnixConn) {
	defer c.Close()
	// A client gets 5 s to send its request and to read the answer; the
	// snapshots in between are bounded by the timeout per loop.
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(&limitedReader{c, 256}).ReadString('\n')
	enc := json.NewEncoder(c)
	if err != nil {
		enc.Encode(map[string]string{"error": "debugserver: request: want one line, \"" + request + "\""})
		return
	}
	if strings.TrimSpace(line) != request {
		enc.Encode(map[string]string{"error": fmt.Sprintf("debugserver: unknown request %q, want %q", strings.TrimSpace(line), request)})
		return
	}
	r := s.report()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	enc.Encode(r)
}

// report takes a snapshot of every loop on the loop's own goroutine,
// waiting at most the server's timeout for each.
func (s *Server) report() *Report {
	s.mu.Lock()
	loops := make([]*eventloop.Loop, len(s.loops))
	for i, e := range s.loops {
		loops[i] = e.loop
	}
	timeout := s.timeout
	s.mu.Unlock()
	r := &Report{Version: ProtocolVersion, PID: os.Getpid(), Program: os.Args[0], Loops: []LoopReport{}}
	for _, l := range loops {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		snap, err := l.SnapshotThreadsafe(ctx)
		cancel()
		lr := LoopReport{LoopSnapshot: snap}
		if err != nil {
			lr.Name, lr.Running, lr.Error = l.Name(), l.IsRunning(), err.Error()
		}
		r.Loops = append(r.Loops, lr)
	}
	return r
}

// limitedReader fails a request longer than n bytes instead of buffering
// whatever a client sends.
type limitedReader struct {
	c *net.UnixConn
	n int
}

func (r *limitedReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("debugserver: request too long")
	}
	if len(p) > r.n {
		p = p[:r.n]
	}
	n, err := r.c.Read(p)
	r.n -= n
	return n, err
}
