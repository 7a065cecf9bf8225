//go:build linux

package transport

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// newSocket opens a non-blocking, close-on-exec socket in one system call.
func newSocket(family, typ, proto int) (int, error) {
	return unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
}

// acceptConn accepts one connection, non-blocking and close-on-exec.
func acceptConn(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

// sendNoSignal writes p to a socket with MSG_NOSIGNAL, so a peer that is
// gone yields EPIPE and never a SIGPIPE (Go's runtime would ignore one on
// fds other than 1 and 2, but a socket can be fd 1 when stdout was closed).
// A raw sendto: x/sys's Sendto does not return the count. The socket is
// non-blocking, so the call never waits: see readNonblock for why it goes
// round the runtime's syscall bookkeeping.
func sendNoSignal(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(ptr), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

// dupCloexec duplicates fd with close-on-exec set.
func dupCloexec(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0) }

// sendVec sends bufs with one sendmsg(MSG_NOSIGNAL).
func sendVec(fd int, bufs [][]byte) (int, error) {
	return unix.SendmsgBuffers(fd, bufs, nil, nil, unix.MSG_NOSIGNAL)
}

// writeVec writes bufs to a pipe with one writev.
func writeVec(fd int, bufs [][]byte) (int, error) { return unix.Writev(fd, bufs) }

// readNonblock is read(2) on a non-blocking descriptor, made without the
// runtime's entersyscall/exitsyscall. Those let another goroutine have the
// P while a call blocks; ours never blocks, and on a busy loop they cost
// more than the bookkeeping: the system monitor sees the P in a system
// call (a send on loopback runs the peer's receive path, several µs), may
// take it away, and every call after an idle wait wakes the monitor,
// which then polls every 20 µs for a while, preempting the loop thread on
// its CPU. Measured on W5 (one CPU, 100 connections): the loop thread's
// involuntary context switches fell from thousands per second to about
// uvloop's level once the read, the send and the poller's non-blocking
// epoll_wait were all raw.
func readNonblock(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

// errnoErr returns e without allocating for the common values, as x/sys
// does internally.
func errnoErr(e syscall.Errno) error {
	switch e {
	case 0:
		return nil
	case unix.EAGAIN:
		return errEAGAIN
	case unix.EINTR:
		return errEINTR
	}
	return e
}

var errEINTR error = unix.EINTR
