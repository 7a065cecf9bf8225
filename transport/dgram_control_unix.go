//go:build unix

package transport

import (
	"syscall"

	"golang.org/x/sys/unix"
)

type dialControl = func(network, address string, c syscall.RawConn) error

// dgramControl sets the DatagramConfig's socket options before bind (the
// goroutine endpoint, used on Unix by tests only).
func dgramControl(cfg *DatagramConfig) dialControl {
	if !cfg.ReuseAddr && !cfg.Broadcast {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if cfg.ReuseAddr {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			}
			if serr == nil && cfg.Broadcast {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}
