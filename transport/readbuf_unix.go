//go:build unix

package transport

import "github.com/aio-go/aio/eventloop"

// netState is a loop's networking state, kept as a loop-local value
// (eventloop's Local) and made on first use.
type netState struct {
	rbuf []byte // the read buffer every stream transport of the loop reads into
}

// netStateKey is the loop-local key of a loop's netState.
type netStateKey struct{}

// readBufferSize is the size of the loop's shared read buffer: asyncio's
// 256 KiB. One buffer per loop is enough because DataReceived's data is
// only valid during the call.
const readBufferSize = 256 * 1024

func netStateOf(l *eventloop.Loop) *netState {
	if ns, ok := l.Local(netStateKey{}).(*netState); ok {
		return ns
	}
	ns := &netState{}
	l.SetLocal(netStateKey{}, ns)
	return ns
}

func (ns *netState) readBuf() []byte {
	if ns.rbuf == nil {
		ns.rbuf = make([]byte, readBufferSize)
	}
	return ns.rbuf
}
