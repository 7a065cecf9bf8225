//go:build unix

package eventloop

import (
	"syscall"
	"testing"
)

// asyncio removes signal handlers quietly at close: a handler still
// installed is not something left alive.
func TestCloseRemovesSignalHandlersQuietly(t *testing.T) {
	l, _ := New()
	if err := l.AddSignalHandler(syscall.SIGUSR2, func() {}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
}
