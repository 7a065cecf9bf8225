package transport

import "syscall"

type dialControl = func(network, address string, c syscall.RawConn) error

// dgramControl sets the DatagramConfig's socket options before bind.
// SO_BROADCAST needs nothing: Go's net package enables it on every IPv4
// UDP socket on Windows.
func dgramControl(cfg *DatagramConfig) dialControl {
	if !cfg.ReuseAddr {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}
}
