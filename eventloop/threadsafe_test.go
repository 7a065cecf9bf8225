package eventloop

import (
	"context"
	"errors"
	"testing"
)

// SetErrorThreadsafe and CancelThreadsafe reach an awaiting task; a value
// for a future that is done by then is dropped; a closed loop refuses.
func TestFutureThreadsafeSetters(t *testing.T) {
	l := newVirtualLoop(t)
	boom := errors.New("boom")
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		f := NewFuture[int](l)
		go f.SetErrorThreadsafe(boom)
		if _, err := Await(ctx, f); !errors.Is(err, boom) {
			t.Errorf("Await after SetErrorThreadsafe = %v", err)
		}
		g := NewFuture[int](l)
		go g.CancelThreadsafe()
		if err := WaitDone(ctx, g); err != nil || !g.Cancelled() {
			t.Errorf("after CancelThreadsafe: %v, cancelled %v", err, g.Cancelled())
		}
		if err := g.SetResultThreadsafe(5); err != nil { // g is done: dropped (any goroutine may call it, the loop's too)
			t.Errorf("SetResultThreadsafe on a live loop = %v", err)
		}
		if err := Sleep(ctx, 0); err != nil {
			return 0, err
		}
		if !g.Cancelled() {
			t.Error("a late SetResultThreadsafe changed a cancelled future")
		}
		if err := g.SetErrorThreadsafe(nil); err == nil {
			t.Error("SetErrorThreadsafe(nil) accepted")
		}
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := New()
	f := NewFuture[int](l2)
	l2.Close()
	if err := f.SetResultThreadsafe(1); !errors.Is(err, ErrClosed) {
		t.Errorf("SetResultThreadsafe on a closed loop = %v", err)
	}
}
