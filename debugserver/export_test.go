package debugserver

import "time"

// SetTimeoutForTest sets how long the server waits for each loop.
func SetTimeoutForTest(s *Server, d time.Duration) {
	s.mu.Lock()
	s.timeout = d
	s.mu.Unlock()
}
