// Package report is what the bench/ programs share: argument parsing, the
// peak-RSS reading and the one JSON line docs/workloads.md asks for.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// Arg returns positional argument i, or def.
func Arg(i int, def string) string {
	if len(os.Args) > i+1 {
		return os.Args[i+1]
	}
	return def
}

// IntArg returns positional argument i as an int, or def.
func IntArg(i int, def int) int {
	s := Arg(i, "")
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		Fail("argument %d: %q is not a positive integer", i+1, s)
	}
	return v
}

// Emit prints the result as one JSON line on stdout.
func Emit(fields map[string]any) {
	b, err := json.Marshal(fields)
	if err != nil {
		Fail("encoding result: %v", err)
	}
	fmt.Println(string(b))
}

// Fail reports a failed check on stderr and exits non-zero.
func Fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}
