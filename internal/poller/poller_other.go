//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package poller

import (
	"errors"
	"runtime"
)

// New returns an error wrapping errors.ErrUnsupported: this system has no
// backend. NewFake works everywhere.
func New() (Poller, error) {
	return nil, &OpError{"new " + runtime.GOOS, -1, errors.ErrUnsupported}
}
