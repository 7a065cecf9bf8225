//go:build unix

package transport

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"
)

// runTask runs fn as a task on l until it is done and returns its result.
func runTask[T any](t *testing.T, l *eventloop.Loop, fn func(ctx context.Context) (T, error)) (T, error) {
	t.Helper()
	tk := eventloop.Spawn(l.Context(), fn, eventloop.WithName("test-main"))
	if err := l.RunUntilComplete(tk); err != nil && !tk.Done() {
		t.Fatalf("RunUntilComplete: %v", err)
	}
	return tk.Result()
}
