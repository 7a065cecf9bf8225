//go:build unix

package transport

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

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

var (
	errEAGAIN error = unix.EAGAIN
	errEINTR  error = unix.EINTR
)

func isAgain(err error) bool { return err == unix.EAGAIN || err == errEAGAIN }

// isNoFDs reports the errors after which accept must pause: the process or
// the system ran out of descriptors or memory.
func isNoFDs(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) ||
		errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM)
}
