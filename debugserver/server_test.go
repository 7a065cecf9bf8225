//go:build unix

// The endpoint tests need AF_UNIX sockets and Unix permission bits. On
// Windows the package builds, but Wine (where CI runs the Windows tests)
// has no AF_UNIX: socket() fails with WSAEAFNOSUPPORT (10047).

package debugserver_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/debugserver"
	"github.com/aio-go/aio/eventloop"
	"github.com/google/go-cmp/cmp"
)

// runningLoop starts a loop on its own goroutine with a task "worker"
// parked in a Sleep that only cancellation ends, and returns it with a
// function that stops and closes it.
func runningLoop(t *testing.T, name string) (*eventloop.Loop, func()) {
	t.Helper()
	l, err := eventloop.New(eventloop.WithLoopName(name), eventloop.WithAwaitTracking(true))
	if err != nil {
		t.Fatal(err)
	}
	parked := make(chan struct{})
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, eventloop.Sleep(ctx, time.Hour)
		}, eventloop.WithName("child"))
		close(parked)
		return 0, eventloop.Sleep(ctx, time.Hour)
	}, eventloop.WithName("worker"))
	done := make(chan struct{})
	go func() { l.RunUntilComplete(tk); close(done) }()
	<-parked
	var closed bool
	return l, func() {
		if closed {
			return
		}
		closed = true
		l.CallSoonThreadsafe(func() {
			for _, tk := range l.AllTasks() {
				tk.Cancel()
			}
		})
		<-done
		for len(l.AllTasks()) > 0 {
			l.RunOnce(0)
		}
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a bug fails, not hangs
	t.Cleanup(cancel)
	return ctx
}

func TestFetchReport(t *testing.T) {
	a, stopA := runningLoop(t, "alpha")
	defer stopA()
	b, stopB := runningLoop(t, "beta")
	defer stopB()
	path := filepath.Join(t.TempDir(), "d.sock")
	srv, err := debugserver.Listen(path, a)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Add(b); err != nil {
		t.Fatal(err)
	}
	srv.Add(b) // twice: served once
	r, err := debugserver.Fetch(ctxT(t), path)
	if err != nil {
		t.Fatal(err)
	}
	if r.PID != os.Getpid() || r.Version != debugserver.ProtocolVersion {
		t.Errorf("report pid %d version %d, want %d and %d", r.PID, r.Version, os.Getpid(), debugserver.ProtocolVersion)
	}
	type row struct {
		Loop, Task string
		Parent     uint64
		State      eventloop.TaskState
		Op         string
	}
	var got []row
	for _, lr := range r.Loops {
		if lr.Error != "" {
			t.Errorf("loop %s: %s", lr.Name, lr.Error)
		}
		for _, ts := range lr.Tasks {
			op := ""
			if ts.Await != nil {
				op = ts.Await.Op
				if !strings.HasSuffix(ts.Await.File, "server_test.go") {
					t.Errorf("task %s waits at %s, want server_test.go", ts.Name, ts.Await.File)
				}
			}
			got = append(got, row{lr.Name, ts.Name, ts.Parent, ts.State, op})
		}
	}
	S := eventloop.TaskSuspended
	want := []row{
		{"alpha", "worker", 0, S, "eventloop.Sleep"},
		{"alpha", "child", 1, S, "eventloop.Sleep"},
		{"beta", "worker", 0, S, "eventloop.Sleep"},
		{"beta", "child", 1, S, "eventloop.Sleep"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

// The socket is the owner's only, and so is the default directory.
func TestSocketPermissions(t *testing.T) {
	l, stop := runningLoop(t, "perm")
	defer stop()
	path := filepath.Join(t.TempDir(), "p.sock")
	srv, err := debugserver.Listen(path, l)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %v, want only the socket (no temporary left)", entries)
	}
}

func TestDefaultPath(t *testing.T) {
	l, stop := runningLoop(t, "default")
	defer stop()
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	want := filepath.Join(run, "aio-"+strconv.Itoa(os.Getpid())+".sock")
	if got := debugserver.DefaultPath(os.Getpid()); got != want {
		t.Fatalf("DefaultPath = %q, want %q", got, want)
	}
	// Off by default: a loop alone opens nothing.
	if _, err := debugserver.FetchPID(ctxT(t), os.Getpid()); !errors.Is(err, debugserver.ErrNoEndpoint) {
		t.Errorf("FetchPID before Listen = %v, want ErrNoEndpoint", err)
	}
	srv, err := debugserver.Listen("", l)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.Path() != want {
		t.Errorf("Path() = %q, want %q", srv.Path(), want)
	}
	r, err := debugserver.FetchTarget(ctxT(t), strconv.Itoa(os.Getpid()))
	if err != nil || len(r.Loops) != 1 || r.Loops[0].Name != "default" {
		t.Fatalf("FetchTarget(pid) = %+v, %v", r, err)
	}
}

// Without XDG_RUNTIME_DIR the socket goes in a 0700 directory of the
// user's under the temp dir; a directory others can enter is refused.
func TestDefaultPathTempDir(t *testing.T) {
	l, stop := runningLoop(t, "tmp")
	defer stop()
	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", tmp)
	srv, err := debugserver.Listen("", l)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(srv.Path())
	fi, err := os.Lstat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(dir) != tmp {
		t.Errorf("socket directory %s: %v, %v; want 0700 under %s", dir, fi.Mode(), err, tmp)
	}
	if _, err := debugserver.FetchPID(ctxT(t), os.Getpid()); err != nil {
		t.Errorf("FetchPID: %v", err)
	}
	srv.Close()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := debugserver.Listen("", l); !errors.Is(err, debugserver.ErrUnsafePath) {
		t.Errorf("Listen with a 0755 socket directory = %v, want ErrUnsafePath", err)
	}
}

func TestBadTargets(t *testing.T) {
	ctx := ctxT(t)
	missing := filepath.Join(t.TempDir(), "nothing.sock")
	for _, tc := range []struct {
		name, target string
		want         error
		msg          string
	}{
		{"no such socket", missing, debugserver.ErrNoEndpoint, "no debug endpoint at " + missing},
		{"no such process", strconv.Itoa(1 << 30), debugserver.ErrNoProcess, "no such process: 1073741824"},
		{"process without endpoint", strconv.Itoa(os.Getpid()), debugserver.ErrNoEndpoint, "did the program call debugserver.Listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
			_, err := debugserver.FetchTarget(ctx, tc.target)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("FetchTarget(%q) = %v, want %v mentioning %q", tc.target, err, tc.want, tc.msg)
			}
		})
	}
	if _, err := debugserver.FetchTarget(ctx, ""); err == nil {
		t.Error("FetchTarget(\"\") succeeded")
	}
	if _, err := debugserver.FetchPID(ctx, -3); err == nil {
		t.Error("FetchPID(-3) succeeded")
	}
}

// A request the endpoint does not know gets an error, not a snapshot;
// the endpoint has no other operation.
func TestUnknownRequest(t *testing.T) {
	l, stop := runningLoop(t, "req")
	defer stop()
	path := filepath.Join(t.TempDir(), "r.sock")
	srv, err := debugserver.Listen(path, l)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, req := range []string{"cancel 1\n", strings.Repeat("x", 1000)} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, req)
		c.(*net.UnixConn).CloseWrite()
		b, _ := io.ReadAll(c)
		c.Close()
		if !strings.Contains(string(b), `"error"`) || strings.Contains(string(b), `"loops"`) {
			t.Errorf("request %.20q: answer %s, want an error", req, b)
		}
	}
}

func TestPathInUseOrTaken(t *testing.T) {
	l, stop := runningLoop(t, "use")
	defer stop()
	dir := t.TempDir()
	path := filepath.Join(dir, "u.sock")
	srv, err := debugserver.Listen(path, l)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := debugserver.Listen(path, l); !errors.Is(err, debugserver.ErrInUse) {
		t.Errorf("second Listen on a live path = %v, want ErrInUse", err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	if _, err := debugserver.Listen(file, l); !errors.Is(err, debugserver.ErrUnsafePath) {
		t.Errorf("Listen over a regular file = %v, want ErrUnsafePath", err)
	}
	// A stale socket (its listener gone, the file left) is replaced.
	stale := filepath.Join(dir, "s.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	srv2, err := debugserver.Listen(stale, l)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	srv2.Close()
	if _, err := os.Lstat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
}

// The endpoint closes with the last of its loops: no goroutine (goleak
// checks) and no socket left behind.
func TestClosesWithLoops(t *testing.T) {
	a, stopA := runningLoop(t, "a")
	b, stopB := runningLoop(t, "b")
	path := filepath.Join(t.TempDir(), "c.sock")
	if _, err := debugserver.Listen(path, a, b); err != nil {
		t.Fatal(err)
	}
	stopA()
	r, err := debugserver.Fetch(ctxT(t), path)
	if err != nil || len(r.Loops) != 1 || r.Loops[0].Name != "b" {
		t.Fatalf("after closing a: %+v, %v; want only b", r, err)
	}
	stopB()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left after the last loop closed: %v", err)
	}
	if _, err := debugserver.Fetch(ctxT(t), path); !errors.Is(err, debugserver.ErrNoEndpoint) {
		t.Errorf("Fetch after close = %v, want ErrNoEndpoint", err)
	}
	closed, _ := eventloop.New()
	closed.Close()
	if _, err := debugserver.Listen(filepath.Join(t.TempDir(), "x.sock"), closed); !errors.Is(err, eventloop.ErrClosed) {
		t.Errorf("Listen with a closed loop = %v, want ErrClosed", err)
	}
}

// A loop that does not run (here: never started) is reported with an
// error instead of hanging the client.
func TestIdleLoopReported(t *testing.T) {
	l, err := eventloop.New(eventloop.WithLoopName("idle"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "i.sock")
	srv, err := debugserver.Listen(path, l)
	if err != nil {
		t.Fatal(err)
	}
	debugserver.SetTimeoutForTest(srv, time.Millisecond)
	r, err := debugserver.Fetch(ctxT(t), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Loops) != 1 || r.Loops[0].Name != "idle" || !strings.Contains(r.Loops[0].Error, "did not answer (not running)") {
		t.Errorf("report %+v, want loop idle with a not-running error", r.Loops)
	}
	l.Close() // closes the endpoint too
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left after the loop closed: %v", err)
	}
}
