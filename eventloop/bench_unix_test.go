//go:build unix

package eventloop

import (
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkThreadsafeWakeup measures the latency from CallSoonThreadsafe
// on another goroutine to the callback running on an idle loop, and
// reports its median and 99th percentile (ns). "fds" registers one idle
// descriptor, so the loop waits in the runtime netpoller instead of on a
// channel.
func BenchmarkThreadsafeWakeup(b *testing.B) {
	for _, withFD := range []bool{false, true} {
		name := "nofds"
		if withFD {
			name = "fds"
		}
		b.Run(name, func(b *testing.B) {
			l, _ := New()
			if withFD {
				fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
				if err != nil {
					b.Fatal(err)
				}
				unix.SetNonblock(fds[0], true)
				defer unix.Close(fds[0])
				defer unix.Close(fds[1])
				l.AddReader(fds[0], func() {})
				defer l.RemoveReader(fds[0])
			}
			done := make(chan struct{})
			go func() { l.RunForever(); close(done) }()
			lat := make([]time.Duration, b.N)
			ran := make(chan time.Duration)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				time.Sleep(20 * time.Microsecond) // let the loop go idle
				t0 := time.Now()
				l.CallSoonThreadsafe(func() { ran <- time.Since(t0) })
				lat[i] = <-ran
			}
			b.StopTimer()
			l.Stop()
			<-done
			l.Close()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}
