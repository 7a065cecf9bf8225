package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/debugserver"
	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/queue"
	"go.uber.org/goleak"
)

// The test binary plays three roles, chosen by AIO_TEST_ROLE: the tests
// (unset), the program under inspection ("program": see program), and
// the aio command itself ("aio": main, as the real command runs).
func TestMain(m *testing.M) {
	switch os.Getenv("AIO_TEST_ROLE") {
	case "aio":
		main()
		return
	case "program":
		program()
		return
	}
	goleak.VerifyTestMain(m)
}

// queueLine is the line of program's q.Get, which the command must show.
var queueLine int

// program is an application with the endpoint at its default path: a
// loop "app" with a task "server" whose child "handler" waits in a queue
// Get, and a second loop "side" with one sleeping task. It prints
// "ready <queue line>" once everything waits, and exits when its stdin
// closes.
func program() {
	app, _ := eventloop.New(eventloop.WithLoopName("app"), eventloop.WithAwaitTracking(true))
	side, _ := eventloop.New(eventloop.WithLoopName("side"), eventloop.WithAwaitTracking(true))
	q := queue.NewQueue[int](0)
	ready := make(chan struct{}, 2)
	server := eventloop.Spawn(app.Context(), func(ctx context.Context) (int, error) {
		h := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			_, _, queueLine, _ = runtime.Caller(0)
			ready <- struct{}{}
			return q.Get(ctx) // two lines after Caller: queueLine+2
		}, eventloop.WithName("handler"))
		return eventloop.Await[int](ctx, h)
	}, eventloop.WithName("server"))
	sleeper := eventloop.Spawn(side.Context(), func(ctx context.Context) (int, error) {
		ready <- struct{}{}
		return 0, eventloop.Sleep(ctx, time.Hour)
	}, eventloop.WithName("sleeper"))
	srv, err := debugserver.Listen("", app, side)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	defer srv.Close()
	done := make(chan struct{}, 2)
	go func() { app.RunUntilComplete(server); done <- struct{}{} }()
	go func() { side.RunUntilComplete(sleeper); done <- struct{}{} }()
	<-ready
	<-ready
	fmt.Printf("ready %d\n", queueLine+2)
	bufio.NewReader(os.Stdin).ReadString('\n') // until the test closes stdin
	app.CallSoonThreadsafe(func() { server.Cancel() })
	side.CallSoonThreadsafe(func() { sleeper.Cancel() })
	<-done
	<-done
	app.Close()
	side.Close()
}

// TestCommandAgainstChild runs the program as a child process and reads
// it with the command twice: run() in this process, and the real command
// (this binary as aio) by PID.
func TestCommandAgainstChild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	runDir := t.TempDir()
	env := append(os.Environ(), "XDG_RUNTIME_DIR="+runDir)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(env, "AIO_TEST_ROLE=program")
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := child.Wait(); err != nil {
			t.Errorf("program: %v", err)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("program said %q, %v", line, err)
	}
	qline := strings.TrimSpace(strings.TrimPrefix(line, "ready "))
	pid := strconv.Itoa(child.Process.Pid)
	t.Setenv("XDG_RUNTIME_DIR", runDir)

	// In process: ps by socket path.
	var out, errOut bytes.Buffer
	if code := run([]string{"ps", filepath.Join(runDir, "aio-"+pid+".sock")}, &out, &errOut); code != 0 {
		t.Fatalf("aio ps: exit %d: %s", code, errOut.String())
	}
	ps := out.String()
	for _, re := range []string{
		`(?m)^process ` + pid + ` .*: 2 loops$`,
		`(?m)^loop "app" \(running, await tracking\) at .*: 2 tasks$`,
		`(?m)^ID\s+NAME\s+PARENT\s+STATE\s+FOR\s+WAITS IN\s+AT$`,
		`(?m)^1\s+server\s+-\s+suspended\s+\S+\s+eventloop.Await \(#2\)\s+aio/main_test.go:\d+ \w+.program.func1$`,
		`(?m)^2\s+handler\s+1\s+suspended\s+\S+\s+queue.Queue.Get\s+aio/main_test.go:` + qline + ` \w+.program.func1.1$`,
		`(?m)^loop "side" \(running, await tracking\) at .*: 1 tasks$`,
		`(?m)^1\s+sleeper\s+-\s+suspended\s+\S+\s+eventloop.Sleep\s+aio/main_test.go:\d+ \w+.program.func2$`,
	} {
		if !regexp.MustCompile(re).MatchString(ps) {
			t.Errorf("aio ps output does not match %s:\n%s", re, ps)
		}
	}

	// The real command, by PID.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"pstree", "-loop", "app", pid}, []string{
			`└── #1 server [suspended `,
			`    └── #2 handler [suspended `,
			`queue.Queue.Get at aio/main_test.go:` + qline + ` (aio.program.func1.1)`,
		}},
		{[]string{"stats", pid}, []string{`loop "side"`, "timers_fired", "lag "}},
		{[]string{"loops", pid}, []string{"app", "side", "running"}},
		{[]string{"json", pid}, []string{`"op": "queue.Queue.Get"`, `"name": "handler"`}},
	} {
		cmd := exec.Command(os.Args[0], tc.args...) // main() reads them: TestMain runs it before flags are parsed
		cmd.Env = append(env, "AIO_TEST_ROLE=aio")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("aio %v: %v\n%s", tc.args, err, b)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("aio %v: output lacks %q:\n%s", tc.args, w, b)
			}
		}
	}
}

func TestUsageAndBadTargets(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	missing := filepath.Join(t.TempDir(), "none.sock")
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", nil, 2, "usage: aio"},
		{"unknown command", []string{"kill", "1"}, 2, `unknown command "kill"`},
		{"no target", []string{"ps"}, 2, "want one PID or socket path"},
		{"two targets", []string{"ps", "1", "2"}, 2, "got 2 arguments"},
		{"bad flag", []string{"ps", "-frob", "1"}, 2, "flag provided but not defined"},
		{"no such process", []string{"ps", strconv.Itoa(1 << 30)}, 1, "no such process: 1073741824"},
		{"process without endpoint", []string{"pstree", strconv.Itoa(os.Getpid())}, 1, "no debug endpoint"},
		{"no such socket", []string{"stats", missing}, 1, "no debug endpoint at " + missing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tc.args, &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.msg) {
				t.Errorf("run(%q) = %d, stderr %q; want %d mentioning %q", tc.args, code, errOut.String(), tc.code, tc.msg)
			}
		})
	}
}

// -loop picks one loop, and names the others when the name is wrong.
func TestLoopFilter(t *testing.T) {
	l, err := eventloop.New(eventloop.WithLoopName("only"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.sock")
	srv, err := debugserver.Listen(path, l)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		close(stop)
		return 0, eventloop.Sleep(ctx, time.Hour)
	})
	done := make(chan struct{})
	go func() { l.RunUntilComplete(tk); close(done) }()
	<-stop
	defer func() {
		l.CallSoonThreadsafe(func() { tk.Cancel() })
		<-done
		l.Close()
		srv.Close()
	}()
	var out, errOut bytes.Buffer
	if code := run([]string{"ps", "-loop", "other", path}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), `no loop named "other" (the program has ["only"])`) {
		t.Errorf("ps -loop other: %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := run([]string{"pstree", "-loop", "only", path}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "(await tracking is off: no await sites)") ||
		!strings.Contains(out.String(), "└── #1 Task-1 [suspended]") {
		t.Errorf("pstree -loop only: %d:\n%s", code, out.String())
	}
}
