package timer_test

import (
	"fmt"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/timer"
)

// A virtual clock moves only when told to, or, under a loop, straight to
// the next deadline: an hour of timers runs in no wall time, in order.
func ExampleVirtual() {
	clock := timer.NewVirtual()
	clock.Advance(90 * time.Second)
	fmt.Println("after Advance:", clock.Now())

	l, _ := eventloop.New(eventloop.WithClock(clock))
	defer l.Close()
	start := time.Now()
	l.CallLater(time.Hour, func() { fmt.Println(l.Time(), "an hour later"); l.Stop() })
	l.CallLater(time.Minute, func() { fmt.Println(l.Time(), "a minute later") })
	l.RunForever()
	fmt.Println("wall time under a second:", time.Since(start) < time.Second)
	// Output:
	// after Advance: 1m30s
	// 2m30s a minute later
	// 1h1m30s an hour later
	// wall time under a second: true
}
