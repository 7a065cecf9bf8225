// Command w5gnet is the gnet v2 echo server of W5 TCP echo (docs/workloads.md):
// one event loop (WithMulticore(false), WithNumEventLoop(1)), OnTraffic
// writes back c.Next(-1).
//
// Usage: w5gnet PORT
//
// It listens on 127.0.0.1:PORT with TCP_NODELAY on every connection and
// serves until SIGTERM. gnet sizes the listen backlog from the kernel's
// somaxconn; it has no option for 1024.
package main

import (
	"fmt"

	"github.com/panjf2000/gnet/v2"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

type echo struct{ gnet.BuiltinEventEngine }

func (*echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	c.Write(buf)
	return gnet.None
}

func main() {
	port := peer.IntArg(0, 8888)
	err := gnet.Run(&echo{}, fmt.Sprintf("tcp4://127.0.0.1:%d", port),
		gnet.WithMulticore(false), gnet.WithNumEventLoop(1),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay))
	if err != nil {
		peer.Fail("gnet.Run: %v", err)
	}
}
