//go:build unix && !linux

package transport

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// newSocket opens a non-blocking, close-on-exec socket with SO_NOSIGPIPE.
// The BSDs and darwin lack SOCK_NONBLOCK/SOCK_CLOEXEC on some versions, so
// the flags are set after the fact under ForkLock (as package net does).
func newSocket(family, typ, proto int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, typ, proto)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	return fd, prepareFD(fd)
}

func prepareFD(fd int) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return err
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
	return nil
}

// acceptConn accepts one connection and makes it non-blocking and
// close-on-exec.
func acceptConn(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	return nfd, sa, prepareFD(nfd)
}

// readNonblock is read(2) on a non-blocking descriptor. Linux makes it a
// raw system call (sock_linux.go); here it stays x/sys's, as system calls
// on darwin go through libSystem.
func readNonblock(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

// sendNoSignal writes p; SO_NOSIGPIPE on the socket keeps SIGPIPE away.
func sendNoSignal(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

// dupCloexec duplicates fd with close-on-exec set.
func dupCloexec(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0) }

// sendVec sends bufs with one sendmsg (SO_NOSIGPIPE is set on the socket).
func sendVec(fd int, bufs [][]byte) (int, error) {
	return unix.SendmsgBuffers(fd, bufs, nil, nil, 0)
}

// writeVec writes bufs to a pipe. x/sys has no writev here; one write per
// buffer, stopping at the first short one.
func writeVec(fd int, bufs [][]byte) (int, error) {
	total := 0
	for _, b := range bufs {
		n, err := unix.Write(fd, b)
		if n > 0 {
			total += n
		}
		if err != nil {
			if total > 0 {
				return total, nil
			}
			return 0, err
		}
		if n < len(b) {
			break
		}
	}
	return total, nil
}
