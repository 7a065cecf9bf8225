package task_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// BenchmarkRecvWaiting is a task receiving from a goroutine that sends
// only once the task waits: every Recv takes the helper path (a goroutine,
// a post to the loop, a task switch).
func BenchmarkRecvWaiting(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		ch := make(chan int)
		go func() {
			for i := range b.N {
				ch <- i
			}
		}()
		b.ResetTimer()
		sum := 0
		for range b.N {
			v, _, err := task.Recv(ctx, ch)
			if err != nil {
				b.Fatal(err)
			}
			sum += v
		}
		if want := b.N * (b.N - 1) / 2; sum != want {
			b.Fatalf("sum %d, want %d", sum, want)
		}
	})
}

// BenchmarkRecvReady: the value is there already (one select).
func BenchmarkRecvReady(b *testing.B) {
	testkit.InTask(b, func(ctx context.Context) {
		ch := make(chan int, 1)
		for i := range b.N {
			ch <- i
			v, _, err := task.Recv(ctx, ch)
			if err != nil || v != i {
				b.Fatal(v, err)
			}
		}
	})
}

// The mechanisms compared, without the loop: a helper goroutine per wait
// (what Recv does) against one long-lived multiplexer goroutine that
// waits with reflect.Select on the awaited channel and its control
// channel (what one goroutine per loop serving every channel await would
// do, with a case slice of two: its best case).
func BenchmarkChanMechanismHelperGoroutine(b *testing.B) {
	ch := make(chan int)
	out := make(chan int)
	go func() {
		for i := range b.N {
			ch <- i
		}
	}()
	for range b.N {
		stop := make(chan struct{})
		go func() {
			select {
			case v := <-ch:
				out <- v
			case <-stop:
			}
		}()
		<-out
	}
}

func BenchmarkChanMechanismReflectSelect(b *testing.B) {
	ch := make(chan int)
	ctl := make(chan struct{})
	out := make(chan int)
	go func() {
		for i := range b.N {
			ch <- i
		}
	}()
	go func() {
		cases := []reflect.SelectCase{
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctl)},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)},
		}
		for range b.N {
			_, v, _ := reflect.Select(cases)
			out <- int(v.Int())
		}
	}()
	for range b.N {
		<-out
	}
}
