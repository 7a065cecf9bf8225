package locks

// Waiter counts, for tests (asyncio's tests look at _waiters).

func LockWaiters(m *Lock) int           { return m.waiters.Len() }
func SemaphoreWaiters(s *Semaphore) int { return s.waiters.Len() }
func EventWaiters(e *Event) int         { return e.waiters.Len() }
func ConditionWaiters(c *Condition) int { return c.waiters.Len() }
