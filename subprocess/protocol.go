package subprocess

import "github.com/aio-go/aio/transport"

// SubprocessProtocol is the low-level protocol of a child process
// (asyncio.SubprocessProtocol): it hears what arrives on the child's stdout
// and stderr pipes, when each pipe closes, and when the child exits. Every
// callback runs on the loop goroutine. ConnectionLost(nil) comes last, once
// the child has exited and every pipe is closed.
type SubprocessProtocol interface {
	transport.BaseProtocol
	ConnectionMade(t *Transport)
	// PipeDataReceived is called with bytes from the child's stdout (fd 1)
	// or stderr (fd 2); data is valid only during the call.
	PipeDataReceived(fd int, data []byte)
	// PipeConnectionLost reports that pipe fd (0, 1 or 2) closed: nil for a
	// clean close or EOF, the error otherwise (EPIPE on stdin when the
	// child stopped reading).
	PipeConnectionLost(fd int, err error)
	// ProcessExited is called once when the child has exited and been
	// reaped; Transport.ReturnCode has the status.
	ProcessExited()
}

// SubprocessProtocolBase gives SubprocessProtocol's methods asyncio's
// defaults (do nothing); embed it and override what you need.
type SubprocessProtocolBase struct{}

func (SubprocessProtocolBase) ConnectionMade(*Transport)     {}
func (SubprocessProtocolBase) ConnectionLost(error)          {}
func (SubprocessProtocolBase) PauseWriting()                 {}
func (SubprocessProtocolBase) ResumeWriting()                {}
func (SubprocessProtocolBase) PipeDataReceived(int, []byte)  {}
func (SubprocessProtocolBase) PipeConnectionLost(int, error) {}
func (SubprocessProtocolBase) ProcessExited()                {}

var _ SubprocessProtocol = SubprocessProtocolBase{}
