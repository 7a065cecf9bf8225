package subprocess

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExecNotSupported(t *testing.T) {
	testkit.Run(t, func(ctx context.Context) error {
		_, err := Exec(ctx, "cmd", []string{"/c", "echo"})
		if !errors.Is(err, ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("Exec = %v, want ErrNotSupported", err)
		}
		_, _, err = ExecTransport(ctx, func() SubprocessProtocolBase { return SubprocessProtocolBase{} }, "cmd", nil)
		if !errors.Is(err, ErrNotSupported) {
			t.Errorf("ExecTransport = %v, want ErrNotSupported", err)
		}
		return nil
	})
}
