//go:build linux

package transport

import (
	"testing"

	"github.com/aio-go/aio/eventloop"

	"golang.org/x/sys/unix"
)

// BenchmarkTransportEcho is W5's hot path over a socketpair: the peer
// writes 64 bytes, one loop iteration reads them (one read(2) into the
// loop's buffer), DataReceived writes them back (one send(2)), the peer
// reads them. It must not allocate.
func BenchmarkTransportEcho(b *testing.B) {
	l, err := eventloop.New()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fds[1])
	tr, err := newFDTransport(l, fds[0], kindSocket, "unix", &echoProto{})
	if err != nil {
		b.Fatal(err)
	}
	l.RunOnce(0) // ConnectionMade, reader registered
	msg := make([]byte, 64)
	buf := make([]byte, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := unix.Write(fds[1], msg); err != nil {
			b.Fatal(err)
		}
		if err := l.RunOnce(-1); err != nil {
			b.Fatal(err)
		}
		if n, err := unix.Read(fds[1], buf); n != len(msg) || err != nil {
			b.Fatalf("echo read %d, %v", n, err)
		}
	}
	b.StopTimer()
	tr.Abort()
	l.RunOnce(0)
}
