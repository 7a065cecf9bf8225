package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/subprocess"
	"github.com/aio-go/aio/task"
)

// childEnv makes the tour binary act as a small filter program for the
// subprocess stop, so the tour needs nothing on the machine but itself.
const childEnv = "AIO_TOUR_CHILD"

// runChild runs the filter named by AIO_TOUR_CHILD and reports whether it
// did (then main exits).
func runChild() bool {
	switch os.Getenv(childEnv) {
	case "words": // print some words, one per line
		for _, w := range []string{"pear", "apple", "fig", "kiwi"} {
			fmt.Println(w)
		}
	case "upper": // upper-case stdin, numbering the lines
		sc := bufio.NewScanner(os.Stdin)
		for n := 1; sc.Scan(); n++ {
			fmt.Printf("%d %s\n", n, strings.ToUpper(sc.Text()))
		}
	default:
		return false
	}
	return true
}

func (t *tour) queueWorkers() error {
	t.stop("A Queue of jobs and three workers; Join waits until every job is done")
	return t.runTasks(func(ctx context.Context) error {
		jobs := queue.NewQueue[time.Duration](2) // bounded: Put waits for room
		var workers []eventloop.Waitable
		for i := 1; i <= 3; i++ {
			name := fmt.Sprintf("worker-%d", i)
			workers = append(workers, task.Go(ctx, func(ctx context.Context) error {
				for job, err := range jobs.All(ctx) {
					if err != nil {
						return err
					}
					eventloop.Sleep(ctx, job)
					t.say("at %v: %s finished a %v job", now(ctx), name, job)
					jobs.TaskDone()
				}
				return nil
			}, eventloop.WithName(name)))
		}
		for _, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second, time.Second, time.Second} {
			if err := jobs.Put(ctx, d); err != nil {
				return err
			}
		}
		if err := jobs.Join(ctx); err != nil {
			return err
		}
		t.say("at %v: Join returned: all 5 jobs done", now(ctx))
		jobs.Shutdown(false) // the workers' range loops end
		return task.Gather(ctx, workers...)
	})
}

func (t *tour) echoServer() error {
	t.stop("An echo server and three clients over TCP, with streams")
	return t.runTasks(func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			defer w.Close()
			for {
				line, err := r.ReadLine(ctx)
				if len(line) > 0 {
					w.Write([]byte("echo: " + string(line)))
					if w.Drain(ctx) != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := srv.Addrs()[0].String()
		t.say("server listening on 127.0.0.1 (a free port)")
		var clients []*eventloop.Task[string]
		for i := 1; i <= 3; i++ {
			clients = append(clients, eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
				r, w, err := streams.OpenConnection(ctx, "tcp", addr)
				if err != nil {
					return "", err
				}
				defer w.Close()
				if err := w.Write(fmt.Appendf(nil, "hello from client %d\n", i)); err != nil {
					return "", err
				}
				if err := w.Drain(ctx); err != nil {
					return "", err
				}
				line, err := r.ReadLine(ctx)
				return strings.TrimSuffix(string(line), "\n"), err
			}, eventloop.WithName(fmt.Sprintf("client-%d", i))))
		}
		for i, c := range clients {
			got, err := eventloop.Await(ctx, c)
			t.say("client %d got %q, %v", i+1, got, err)
		}
		srv.Close()
		return srv.WaitClosed(ctx)
	})
}

func (t *tour) pipeline() error {
	t.stop("A subprocess pipeline through the loop: words | upper, the loop in the middle")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return t.runTasks(func(ctx context.Context) error {
		words, err := subprocess.Exec(ctx, self, nil,
			subprocess.WithEnv(append(os.Environ(), childEnv+"=words")),
			subprocess.WithStdin(subprocess.DevNull), subprocess.WithStdout(subprocess.Pipe))
		if err != nil {
			return err
		}
		upper, err := subprocess.Exec(ctx, self, nil,
			subprocess.WithEnv(append(os.Environ(), childEnv+"=upper")),
			subprocess.WithStdin(subprocess.Pipe), subprocess.WithStdout(subprocess.Pipe))
		if err != nil {
			return err
		}
		pump := task.Go(ctx, func(ctx context.Context) error {
			defer upper.Stdin.Close()
			for {
				chunk, err := words.Stdout.Read(ctx, 64*1024)
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				if err := upper.Stdin.Write(chunk); err != nil {
					return err
				}
				if err := upper.Stdin.Drain(ctx); err != nil {
					return err
				}
			}
		}, eventloop.WithName("pump"))
		out, _, err := upper.Communicate(ctx, nil)
		if err != nil {
			return err
		}
		if err := task.Gather(ctx, pump); err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			t.say("pipeline: %s", line)
		}
		rc1, _ := words.Wait(ctx)
		rc2, _ := upper.Wait(ctx)
		t.say("exit codes %d and %d; both children reaped by the loop", rc1, rc2)
		return nil
	})
}

func (t *tour) taskTree() error {
	t.stop("The live task tree and the loop's statistics (Loop.Dump; `go run ./cmd/aio ps PID` shows the same from outside)")
	return t.runTasks(func(ctx context.Context) error {
		jobs := queue.NewQueue[string](0)
		var mu locks.Lock
		if err := mu.Acquire(ctx); err != nil {
			return err
		}
		web := eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			worker := eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
				return jobs.Get(ctx) // waits for a job
			}, eventloop.WithName("worker"))
			saver := task.Go(ctx, func(ctx context.Context) error {
				if err := mu.Acquire(ctx); err != nil { // waits for the lock main holds
					return err
				}
				mu.Release()
				return nil
			}, eventloop.WithName("saver"))
			_, err := eventloop.Await(ctx, worker)
			task.Gather(ctx, saver)
			return struct{}{}, err
		}, eventloop.WithName("web"))
		ticker := task.Go(ctx, func(ctx context.Context) error {
			return eventloop.Sleep(ctx, time.Hour)
		}, eventloop.WithName("ticker"))
		eventloop.Sleep(ctx, 90*time.Second) // everyone parks; loop time moves on
		var buf strings.Builder
		if err := eventloop.LoopOf(ctx).Dump(&buf); err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
			t.say("%s", line)
		}
		jobs.PutNowait("job")
		mu.Release()
		if _, err := eventloop.Await(ctx, web); err != nil {
			return err
		}
		ticker.Cancel()
		eventloop.WaitDone(ctx, ticker)
		return nil
	}, eventloop.WithAwaitTracking(true), eventloop.WithLoopName("tour"))
}
