package task_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a test starts (executor jobs, loops run elsewhere,
// RunCoroutineThreadsafe callers) must be gone when the package's tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
