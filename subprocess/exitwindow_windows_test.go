package subprocess

import (
	"context"
	"errors"
	"testing"
)

// A child that has exited, whose exit the wait goroutine has seen but the
// loop not yet (the loop is busy): Kill, Terminate and Close must report
// ErrProcessDone or nothing, never the error of a released process handle.
func TestWindowsKillInExitWindow(t *testing.T) {
	for _, how := range []string{"Kill", "Terminate", "Close"} {
		t.Run(how, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				name, args, env := helper("stderr", "", "4")
				p, err := Exec(ctx, name, args, env)
				if err != nil {
					return err
				}
				// Hold the loop goroutine until the wait goroutine has the
				// exit: its post to the loop cannot have run yet.
				<-p.t.c.done
				if p.t.c.exited {
					t.Fatal("exit seen by the loop already: the test misses the window")
				}
				switch how {
				case "Kill":
					err = p.Kill()
				case "Terminate":
					err = p.Terminate()
				case "Close":
					err = p.Transport().Close()
				}
				if err != nil && !errors.Is(err, ErrProcessDone) {
					t.Errorf("%s in the exit window = %v, want ErrProcessDone or nil", how, err)
				}
				if rc, err := p.Wait(ctx); err != nil || rc != 4 {
					t.Errorf("Wait = %d, %v; want 4", rc, err)
				}
				return nil
			})
		})
	}
}
