// Command w5server is the plain-Go echo server of W5 TCP echo (docs/workloads.md):
// net, one goroutine per connection, 64 KiB buffer, Read then Write.
//
// Usage: w5server net PORT
//
// It listens on 127.0.0.1:PORT with a backlog of 1024 (net.Listen would use
// the kernel's somaxconn, so the socket is made by hand and handed to
// net.FileListener), sets TCP_NODELAY on every accepted connection and
// serves until SIGTERM.
package main

import (
	"net"
	"os"
	"syscall"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

func listen(port int) net.Listener {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err == nil {
		err = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	}
	if err == nil {
		err = syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	}
	if err == nil {
		err = syscall.Listen(fd, 1024)
	}
	if err != nil {
		peer.Fail("listen on 127.0.0.1:%d: %v", port, err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	ln, err := net.FileListener(f) // dups fd
	f.Close()
	if err != nil {
		peer.Fail("FileListener: %v", err)
	}
	return ln
}

func serve(c *net.TCPConn) {
	defer c.Close()
	c.SetNoDelay(true)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	if mode := peer.Arg(0, "net"); mode != "net" {
		peer.Fail("unknown mode %q (want net)", mode)
	}
	ln := listen(peer.IntArg(1, 8888))
	for {
		c, err := ln.Accept()
		if err != nil {
			peer.Fail("accept: %v", err)
		}
		go serve(c.(*net.TCPConn))
	}
}
