//go:build unix

package transport

import (
	"errors"

	"golang.org/x/sys/unix"
)

var errEAGAIN error = unix.EAGAIN

func isAgain(err error) bool { return err == unix.EAGAIN || err == errEAGAIN }

// isNoFDs reports the errors after which accept must pause: the process or
// the system ran out of descriptors or memory.
func isNoFDs(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) ||
		errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM)
}
