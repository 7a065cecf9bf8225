package eventloop_test

import (
	"fmt"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/timer"
)

// A loop on a virtual clock: callbacks run in FIFO order, timers by
// deadline, and the clock jumps to the next deadline instead of sleeping.
func ExampleNew() {
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	l.CallLater(20*time.Millisecond, func() { fmt.Println(l.Time(), "second timer"); l.Stop() })
	l.CallLater(10*time.Millisecond, func() { fmt.Println(l.Time(), "first timer") })
	l.CallSoon(func() { fmt.Println(l.Time(), "callback a") })
	l.CallSoon(func() { fmt.Println(l.Time(), "callback b") })
	l.RunForever()
	// Output:
	// 0s callback a
	// 0s callback b
	// 10ms first timer
	// 20ms second timer
}

// Embedding the loop in a program's own main loop (a game or GUI frame
// loop): each frame runs one loop iteration without blocking, then does
// the program's own work.
func ExampleLoop_RunOnce() {
	clock := timer.NewVirtual()
	l, _ := eventloop.New(eventloop.WithClock(clock))
	defer l.Close()
	ticks := 0
	var tick func()
	tick = func() {
		ticks++
		fmt.Println(l.Time(), "loop timer", ticks)
		if ticks < 3 {
			l.CallLater(25*time.Millisecond, tick)
		}
	}
	l.CallLater(25*time.Millisecond, tick)
	for frame := 1; frame <= 6; frame++ {
		clock.Advance(16 * time.Millisecond) // the frame's own time passes
		if err := l.RunOnce(0); err != nil { // 0: poll, never block the frame
			fmt.Println(err)
			return
		}
		fmt.Println(l.Time(), "frame", frame)
	}
	// Output:
	// 16ms frame 1
	// 32ms loop timer 1
	// 32ms frame 2
	// 48ms frame 3
	// 64ms loop timer 2
	// 64ms frame 4
	// 80ms frame 5
	// 96ms loop timer 3
	// 96ms frame 6
}
