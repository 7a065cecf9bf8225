package errs

import (
	"errors"
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOp(t *testing.T) {
	sentinel := errors.New("eventloop: loop is closed")
	other := errors.New("transport: transport is closing")
	for _, c := range []struct {
		name string
		give error
		want string
	}{
		{"own sentinel: the package once", Op("eventloop", "CallSoon", sentinel), "eventloop: CallSoon: loop is closed"},
		{"another package's error keeps its name", Op("streams", "Drain", other), "streams: Drain: transport: transport is closing"},
		{"nested", Op("eventloop", "Close", fmt.Errorf("eventloop: draining: %w", sentinel)), "eventloop: Close: draining: eventloop: loop is closed"},
		{"plain detail", Op("queue", "Get", errors.New("queue is shut down")), "queue: Get: queue is shut down"},
	} {
		if got := c.give.Error(); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if !errors.Is(Op("eventloop", "CallSoon", sentinel), sentinel) {
		t.Error("errors.Is does not see the cause")
	}
	if Op("x", "y", nil) != nil {
		t.Error("Op of nil is not nil")
	}
}
