//go:build unix

package subprocess

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// Communicate feeds stdin and drains stdout and stderr at once: sizes around
// the pipe buffer (64 KiB) in and out never deadlock.
func TestCommunicateSizes(t *testing.T) {
	for _, n := range []int{0, 1, 65535, 65536, 65537, 1 << 20} {
		err := run(t, func(ctx context.Context) error {
			name, args, env := helper("cat2")
			p, err := Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe), WithStderr(Pipe))
			if err != nil {
				return err
			}
			in := pattern(n)
			out, errb, err := p.Communicate(ctx, in)
			if err != nil {
				return err
			}
			if !bytes.Equal(out, in) {
				t.Errorf("n=%d: stdout %d bytes, not the input", n, len(out))
			}
			if !bytes.Equal(errb, bytes.ToUpper(in)) {
				t.Errorf("n=%d: stderr %d bytes, not the upper-cased input", n, len(errb))
			}
			if rc, ok := p.ReturnCode(); !ok || rc != 0 {
				t.Errorf("n=%d: ReturnCode %d, %v", n, rc, ok)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
	}
}

func TestCommunicate64MiBOut(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB through a pipe")
	}
	const n = 64 << 20
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("big", strconv.Itoa(n))
		p, err := Exec(ctx, name, args, env, WithStdin(DevNull), WithStdout(Pipe), WithStderr(Pipe))
		if err != nil {
			return err
		}
		out, errb, err := p.Communicate(ctx, nil)
		if err != nil {
			return err
		}
		if len(out) != n || !bytes.Equal(out[:1000], pattern(1000)) || len(errb) != 0 {
			t.Errorf("stdout %d bytes, stderr %d; want %d and 0", len(out), len(errb), n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A cancelled Communicate leaves the child running and loses nothing: the
// next Communicate returns what the first had read and the rest.
func TestCommunicateCancelledLosesNoOutput(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		err := run(t, func(ctx context.Context) error {
			name, args, env := helper("chatty")
			p, err := Exec(ctx, name, args, env, WithStdin(DevNull), WithStdout(Pipe))
			if err != nil {
				return err
			}
			cctx, cancel := eventloop.WithCancel(ctx)
			comm := eventloop.Spawn(cctx, func(ctx context.Context) ([]byte, error) {
				out, _, err := p.Communicate(ctx, nil)
				return out, err
			})
			for p.Stdout.Buffered() < len("early\n") {
				if err := eventloop.Sleep(ctx, 1e6); err != nil {
					return err
				}
			}
			cancel()
			if _, err := eventloop.Await(ctx, comm); !errors.Is(err, eventloop.ErrCancelled) {
				t.Errorf("cancelled Communicate = %v, want ErrCancelled", err)
			}
			if _, ok := p.ReturnCode(); ok {
				t.Errorf("child exited after a cancelled Communicate")
			}
			if err := p.SendSignal(syscall.SIGUSR1); err != nil {
				return err
			}
			out, _, err := p.Communicate(ctx, nil)
			if err != nil {
				return err
			}
			if string(out) != "early\nlate\n" {
				t.Errorf("stdout = %q, want both lines", out)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Wait returns when the child exits although a grandchild still holds its
// stdout; the reader sees EOF only when the grandchild closes it.
func TestWaitWithGrandchildHoldingStdout(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("grandchild")
		p, err := Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe))
		if err != nil {
			return err
		}
		line, err := p.Stdout.ReadLine(ctx)
		if err != nil || string(line) != "started\n" {
			t.Fatalf("ReadLine = %q, %v", line, err)
		}
		rc, err := p.Wait(ctx)
		if err != nil || rc != 0 {
			t.Fatalf("Wait = %d, %v", rc, err)
		}
		if p.Stdout.AtEOF() {
			t.Errorf("stdout at EOF while the grandchild holds it")
		}
		if err := p.Stdin.Write([]byte("go\n")); err != nil {
			return err
		}
		p.Stdin.Close()
		rest, err := p.Stdout.Read(ctx, -1)
		if err != nil {
			return err
		}
		if string(rest) != "grandchild got go\n" {
			t.Errorf("after the grandchild: %q", rest)
		}
		if !p.Stdout.AtEOF() {
			t.Errorf("no EOF once the grandchild exited")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Writing to a child that closed its stdin: Drain fails with a clear error
// (EPIPE), the parent lives on.
func TestDrainFailsWhenChildStoppedReading(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("closeall")
		p, err := Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe))
		if err != nil {
			return err
		}
		if _, err := p.Stdout.Read(ctx, -1); err != nil { // EOF: the child closed both
			return err
		}
		chunk := bytes.Repeat([]byte("y"), 1<<16)
		var derr error
		for i := 0; i < 100 && derr == nil; i++ {
			if derr = p.Stdin.Write(chunk); derr == nil {
				derr = p.Stdin.Drain(ctx)
			}
		}
		if derr == nil || !strings.Contains(derr.Error(), "broken pipe") && !errors.Is(derr, syscall.EPIPE) {
			t.Errorf("writing to a child that stopped reading: %v, want EPIPE", derr)
		}
		p.Kill()
		_, err = p.Wait(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestShellAndQuote(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		word := "it's $HOME; `id`"
		p, err := Shell(ctx, "printf '%s' "+Quote(word), WithStdout(Pipe), WithStdin(DevNull))
		if err != nil {
			return err
		}
		out, _, err := p.Communicate(ctx, nil)
		if err != nil {
			return err
		}
		if string(out) != word {
			t.Errorf("shell printed %q, want %q", out, word)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCommunicateInputWithoutPipe(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("exit", "0")
		p, err := Exec(ctx, name, args, env, WithStdin(DevNull))
		if err != nil {
			return err
		}
		if _, _, err := p.Communicate(ctx, []byte("x")); !errors.Is(err, ErrNotPiped) {
			t.Errorf("Communicate with input and no stdin pipe = %v, want ErrNotPiped", err)
		}
		_, err = p.Wait(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
