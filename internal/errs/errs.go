// Package errs makes the library's errors read one way: "pkg: Op:
// detail", with the package said once, where the error is made, and the
// cause underneath for errors.Is and errors.As.
package errs

import "strings"

// Op returns err as the error of operation op in package pkg. Its message
// is "pkg: op: " followed by err's message, from which a leading "pkg: "
// is dropped (a sentinel of the same package says its name already).
// errors.Is and errors.As see err. Op(pkg, op, nil) is nil. It is never
// inlined: errors are the cold path, and callers on hot paths stay small.
//
//go:noinline
func Op(pkg, op string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{pkg: pkg, op: op, err: err}
}

type opError struct {
	pkg, op string
	err     error
}

func (e *opError) Error() string {
	return e.pkg + ": " + e.op + ": " + strings.TrimPrefix(e.err.Error(), e.pkg+": ")
}

func (e *opError) Unwrap() error { return e.err }
