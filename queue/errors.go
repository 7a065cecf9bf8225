package queue

import "errors"

// The outcomes a queue operation reports. PutNowait and GetNowait return
// ErrQueueFull and ErrQueueEmpty as they are (they are answers, not
// failures, and cost no allocation); misuse the loop detects (an await
// outside a task, from another loop, after the loop closed) comes back
// wrapping eventloop.ErrNotInTask, eventloop.ErrWrongLoop or
// eventloop.ErrClosed.
var (
	// ErrQueueEmpty is returned by GetNowait when no item is available
	// (asyncio.QueueEmpty).
	ErrQueueEmpty = errors.New("queue: queue is empty")
	// ErrQueueFull is returned by PutNowait when the queue has no room
	// (asyncio.QueueFull).
	ErrQueueFull = errors.New("queue: queue is full")
	// ErrQueueShutdown is returned by every put after Shutdown, and by
	// gets once a shut-down queue is empty (asyncio.QueueShutDown, Python
	// 3.13).
	ErrQueueShutdown = errors.New("queue: queue is shut down")
	// ErrTaskDoneTooMany is returned by TaskDone called more times than
	// items were put (asyncio's ValueError).
	ErrTaskDoneTooMany = errors.New("queue: TaskDone called more times than items were put")
)

var errNoCompare = errors.New("queue: PriorityQueue without a comparison function (make it with NewPriorityQueue or NewPriorityQueueFunc)")
