//go:build !unix

package transport

// osNetwork is the operating system's network where the loop has no
// readiness poller: Go's net package, one net.Conn transport per
// connection (GoNetwork).
type osNetwork = GoNetwork
