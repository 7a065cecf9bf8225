package eventloop

import (
	"testing"
	"time"

	"github.com/aio-go/aio/timer"
)

// BenchmarkW3 is W3 (WORKLOADS.md) per timer on a virtual clock: schedule
// 1M timers with LCG delays, cancel every odd one, fire the rest.
func BenchmarkW3(b *testing.B) {
	const n = 1_000_000
	delays := make([]time.Duration, n)
	state := uint32(12345)
	for i := range delays {
		state = 1664525*state + 1013904223
		delays[i] = time.Duration((state>>8)%1000) * time.Millisecond
	}
	handles := make([]TimerHandle, n)
	b.ReportAllocs()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		l, _ := New(WithClock(timer.NewVirtual()))
		fired := 0
		cb := func() {
			if fired++; fired == n/2 {
				l.Stop()
			}
		}
		for i, d := range delays {
			handles[i], _ = l.CallLater(d, cb)
		}
		for i := 1; i < n; i += 2 {
			handles[i].Cancel()
		}
		l.RunForever()
		l.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/timer")
}
