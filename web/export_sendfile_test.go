package web

// SetSendfileHook makes hook learn the size of each body ReadFrom hands
// to Sendfile; it returns the undo.
func SetSendfileHook(hook func(n int64)) (undo func()) {
	sendfileHook = hook
	return func() { sendfileHook = nil }
}
