package subprocess

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
	"go.uber.org/goleak"
)

// The tests start the test binary itself as the child: with
// AIO_SUBPROCESS_HELPER set, TestMain runs a helper instead of the tests.
const helperEnv = "AIO_SUBPROCESS_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

func helper(h string, args ...string) (string, []string, Option) {
	return os.Args[0], args, WithEnv(append(os.Environ(), helperEnv+"="+h))
}

func runHelper(h string, args []string) int {
	switch h {
	case "cat": // copy stdin to stdout
		io.Copy(os.Stdout, os.Stdin)
	case "stderr": // write args[0] to stderr, exit with args[1]
		os.Stderr.WriteString(args[0])
		n, _ := strconv.Atoi(args[1])
		return n
	case "both": // "out" to stdout, then "err" to stderr
		os.Stdout.WriteString("out\n")
		os.Stderr.WriteString("err\n")
	case "pwd": // the working directory and $AIO_X
		wd, _ := os.Getwd()
		fmt.Printf("%s|%s", wd, os.Getenv("AIO_X"))
	case "sleep": // until killed
		os.Stdout.WriteString("ready\n")
		time.Sleep(time.Hour)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", h)
		return 99
	}
	return 0
}

// run runs main with task.Run on the real clock and the strict handler.
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, main(ctx)
	}, eventloop.WithExceptionHandler(testkit.StrictHandler(t)))
	if err != nil {
		t.Fatal(err)
	}
}

func TestWindowsCommunicate(t *testing.T) {
	run(t, func(ctx context.Context) error {
		name, args, env := helper("cat")
		p, err := Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe))
		if err != nil {
			return err
		}
		input := bytes.Repeat([]byte("0123456789abcdef"), 64*1024) // 1 MiB: more than a pipe holds
		out, errOut, err := p.Communicate(ctx, input)
		if err != nil {
			return err
		}
		if !bytes.Equal(out, input) || errOut != nil {
			t.Errorf("stdout %d bytes (want %d, equal %v), stderr %q", len(out), len(input), bytes.Equal(out, input), errOut)
		}
		if rc, ok := p.ReturnCode(); !ok || rc != 0 {
			t.Errorf("ReturnCode = %d, %v", rc, ok)
		}
		if err := p.Kill(); !errors.Is(err, ErrProcessDone) {
			t.Errorf("Kill after exit = %v, want ErrProcessDone", err)
		}
		return nil
	})
}

func TestWindowsStderrAndExitCode(t *testing.T) {
	run(t, func(ctx context.Context) error {
		name, args, env := helper("stderr", "oops", "7")
		p, err := Exec(ctx, name, args, env, WithStdout(Pipe), WithStderr(Pipe))
		if err != nil {
			return err
		}
		if _, ok := p.ReturnCode(); ok {
			t.Error("ReturnCode set before the exit was seen")
		}
		out, errOut, err := p.Communicate(ctx, nil)
		if err != nil {
			return err
		}
		if len(out) != 0 || string(errOut) != "oops" {
			t.Errorf("stdout %q, stderr %q", out, errOut)
		}
		if rc, err := p.Wait(ctx); err != nil || rc != 7 {
			t.Errorf("Wait = %d, %v; want 7", rc, err)
		}
		return nil
	})
}

func TestWindowsStderrToStdout(t *testing.T) {
	run(t, func(ctx context.Context) error {
		name, args, env := helper("both")
		p, err := Exec(ctx, name, args, env, WithStdout(Pipe), WithStderr(Stdout))
		if err != nil {
			return err
		}
		if p.Stderr != nil {
			t.Error("Stderr is a stream though it goes to stdout")
		}
		out, _, err := p.Communicate(ctx, nil)
		if err != nil {
			return err
		}
		if string(out) != "out\nerr\n" {
			t.Errorf("stdout %q", out)
		}
		return nil
	})
}

func TestWindowsKill(t *testing.T) {
	for _, how := range []string{"Kill", "Terminate", "Close"} {
		t.Run(how, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				name, args, env := helper("sleep")
				p, err := Exec(ctx, name, args, env, WithStdout(Pipe))
				if err != nil {
					return err
				}
				line, err := p.Stdout.ReadLine(ctx)
				if err != nil || strings.TrimSpace(string(line)) != "ready" {
					t.Errorf("ReadLine = %q, %v", line, err)
				}
				if err := p.SendSignal(syscall.SIGINT); !errors.Is(err, errors.ErrUnsupported) {
					t.Errorf("SendSignal(SIGINT) = %v, want ErrUnsupported", err)
				}
				switch how {
				case "Kill":
					err = p.Kill()
				case "Terminate":
					err = p.Terminate()
				case "Close":
					err = p.Transport().Close()
				}
				if err != nil {
					t.Errorf("%s: %v", how, err)
				}
				// The pipe ends when its reader goroutine has seen the
				// exit (or the close): the stream reports it.
				if rest, rerr := p.Stdout.Read(ctx, -1); len(rest) != 0 {
					t.Errorf("after %s: %q, %v", how, rest, rerr)
				}
				if rc, err := p.Wait(ctx); err != nil || rc != 1 {
					t.Errorf("Wait = %d, %v; want 1 (TerminateProcess)", rc, err)
				}
				if err := p.Terminate(); !errors.Is(err, ErrProcessDone) {
					t.Errorf("Terminate after exit = %v", err)
				}
				return nil
			})
		})
	}
}

// A cancelled Wait leaves the child running; KillOnCancel kills it.
func TestWindowsWaitCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		name, args, env := helper("sleep")
		p, err := Exec(ctx, name, args, env, WithStdout(DevNull), KillOnCancel())
		if err != nil {
			return err
		}
		err = task.Timeout(ctx, 50*time.Millisecond, func(ctx context.Context) error {
			_, err := p.Wait(ctx)
			return err
		})
		if !errors.Is(err, eventloop.ErrTimeout) {
			t.Errorf("WaitFor = %v, want ErrTimeout", err)
		}
		if rc, err := p.Wait(ctx); err != nil || rc != 1 {
			t.Errorf("Wait after the cancelled one = %d, %v; want 1 (killed)", rc, err)
		}
		return nil
	})
}

func TestWindowsShell(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p, err := Shell(ctx, "echo hi", WithStdout(Pipe))
		if err != nil {
			return err
		}
		out, _, err := p.Communicate(ctx, nil)
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(out)) != "hi" {
			t.Errorf("stdout %q, want hi", out)
		}
		if rc, _ := p.ReturnCode(); rc != 0 {
			t.Errorf("ReturnCode %d", rc)
		}
		p, err = Shell(ctx, "exit 3")
		if err != nil {
			return err
		}
		if rc, err := p.Wait(ctx); err != nil || rc != 3 {
			t.Errorf("exit 3: Wait = %d, %v", rc, err)
		}
		return nil
	})
}

type winProto struct {
	SubprocessProtocolBase
	events []string
	out    []byte
}

func (p *winProto) ConnectionMade(*Transport) { p.events = append(p.events, "made") }
func (p *winProto) PipeDataReceived(fd int, data []byte) {
	p.out = append(p.out, data...)
}
func (p *winProto) PipeConnectionLost(fd int, err error) {
	p.events = append(p.events, fmt.Sprintf("pipe %d lost %v", fd, err))
}
func (p *winProto) ProcessExited() { p.events = append(p.events, "exited") }
func (p *winProto) ConnectionLost(err error) {
	p.events = append(p.events, fmt.Sprintf("lost %v", err))
}

func TestWindowsExecTransport(t *testing.T) {
	run(t, func(ctx context.Context) error {
		name, args, env := helper("stderr", "bye", "0")
		tr, p, err := ExecTransport(ctx, func() *winProto { return &winProto{} }, name, args, env, WithStderr(Pipe))
		if err != nil {
			return err
		}
		if tr.PID() <= 0 || tr.PipeTransport(2) == nil || tr.PipeTransport(1) != nil {
			t.Errorf("PID %d, pipes %v %v", tr.PID(), tr.PipeTransport(1), tr.PipeTransport(2))
		}
		if _, err := tr.Wait(ctx); err != nil {
			return err
		}
		for len(p.events) < 4 {
			if err := eventloop.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		if string(p.out) != "bye" {
			t.Errorf("stderr data %q", p.out)
		}
		if p.events[0] != "made" || p.events[len(p.events)-1] != "lost <nil>" || len(p.events) != 4 {
			t.Errorf("events %q: want made, pipe 2 lost and exited in either order, then lost", p.events)
		}
		return nil
	})
}

func TestWindowsBadInput(t *testing.T) {
	run(t, func(ctx context.Context) error {
		_, err := Exec(ctx, "no-such-program-aio", nil)
		var se *Error
		if !errors.Is(err, exec.ErrNotFound) || !errors.As(err, &se) || se.Path != "no-such-program-aio" {
			t.Errorf("missing program: %v", err)
		}
		name, args, env := helper("cat")
		_, err = Exec(ctx, name, args, env, WithDir(`C:\no\such\dir-aio`))
		if !errors.As(err, &se) || se.Op != "dir" {
			t.Errorf("missing dir: %v", err)
		}
		_, err = Exec(ctx, name, args, env, WithStdin(Stdout))
		if !errors.Is(err, ErrBadOption) {
			t.Errorf("Stdout for stdin: %v", err)
		}
		_, err = Exec(ctx, name, args, env, WithStdout(File(nil)))
		if !errors.Is(err, ErrBadOption) {
			t.Errorf("File(nil): %v", err)
		}
		return nil
	})
}

func TestWindowsStdioOptions(t *testing.T) {
	dir, err := os.MkdirTemp("", "aio-subprocess")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	run(t, func(ctx context.Context) error {
		// DevNull stdin: cat sees EOF at once.
		name, args, env := helper("cat")
		p, err := Exec(ctx, name, args, env, WithStdin(DevNull), WithStdout(Pipe))
		if err != nil {
			return err
		}
		if out, _, err := p.Communicate(ctx, nil); err != nil || len(out) != 0 {
			t.Errorf("DevNull stdin: %q, %v", out, err)
		}
		// File stdout, a working directory and an environment.
		f, err := os.Create(dir + `\out.txt`)
		if err != nil {
			return err
		}
		name, args, _ = helper("pwd")
		p, err = Exec(ctx, name, args, WithDir(dir), WithStdout(File(f)),
			WithEnv(append(os.Environ(), helperEnv+"=pwd", "AIO_X=42")))
		f.Close() // the child has its own handle
		if err != nil {
			return err
		}
		if rc, err := p.Wait(ctx); err != nil || rc != 0 {
			t.Errorf("Wait = %d, %v", rc, err)
		}
		got, err := os.ReadFile(dir + `\out.txt`)
		if err != nil {
			return err
		}
		wd, x, _ := strings.Cut(string(got), "|")
		if !strings.EqualFold(wd, dir) || x != "42" {
			t.Errorf("child printed %q, want %s|42", got, dir)
		}
		return nil
	})
}

// A cancelled ctx starts nothing.
func TestWindowsExecCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		name, args, env := helper("sleep")
		p, err := Exec(cctx, name, args, env)
		if err == nil || !errors.Is(err, context.Canceled) && !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("Exec on a cancelled ctx = %v, %v", p, err)
		}
		return nil
	})
}

// Close kills a running child and closes its pipes; it is idempotent and
// Wait after it still has the status.
func TestWindowsProcessClose(t *testing.T) {
	run(t, func(ctx context.Context) error {
		name, args, env := helper("sleep")
		p, err := Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe))
		if err != nil {
			return err
		}
		if line, err := p.Stdout.ReadLine(ctx); err != nil || strings.TrimSpace(string(line)) != "ready" {
			t.Errorf("ReadLine = %q, %v", line, err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := p.Stdin.Write([]byte("x")); err == nil {
			t.Error("Stdin.Write after Close succeeded")
		}
		if rc, err := p.Wait(ctx); err != nil || rc != 1 {
			t.Errorf("Wait after Close = %d, %v; want 1", rc, err)
		}
		if rest, _ := p.Stdout.Read(ctx, -1); len(rest) != 0 {
			t.Errorf("Stdout after Close: %q", rest)
		}
		// The pipes end on their goroutines: stdin's once its writer has
		// closed the handle.
		if err := p.Stdin.WaitClosed(ctx); err != nil {
			t.Errorf("Stdin.WaitClosed: %v", err)
		}
		return nil
	})
}
