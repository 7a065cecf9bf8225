package transport

// DatagramConfig is the resolved form of the DatagramOptions of
// CreateDatagramEndpoint.
type DatagramConfig struct {
	ReuseAddr bool // SO_REUSEADDR on the local address (default false)
	ReusePort bool // SO_REUSEPORT (default false)
	Broadcast bool // SO_BROADCAST (default false)
}

// DatagramOption configures CreateDatagramEndpoint.
type DatagramOption func(*DatagramConfig)

// WithDatagramReusePort sets SO_REUSEPORT on the endpoint's socket.
func WithDatagramReusePort(on bool) DatagramOption {
	return func(c *DatagramConfig) { c.ReusePort = on }
}

// WithDatagramReuseAddr sets SO_REUSEADDR on the endpoint's socket.
func WithDatagramReuseAddr(on bool) DatagramOption {
	return func(c *DatagramConfig) { c.ReuseAddr = on }
}

// WithBroadcast sets SO_BROADCAST (asyncio's allow_broadcast).
func WithBroadcast(on bool) DatagramOption { return func(c *DatagramConfig) { c.Broadcast = on } }
