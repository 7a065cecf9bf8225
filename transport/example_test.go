//go:build unix

package transport_test

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// echoServer writes back whatever it receives.
type echoServer struct {
	transport.ProtocolBase
	t transport.Transport
}

func (e *echoServer) ConnectionMade(t transport.Transport) { e.t = t }
func (e *echoServer) DataReceived(b []byte)                { e.t.Write(b) }

// echoClient sends one message, prints the echo and closes.
type echoClient struct {
	transport.ProtocolBase
	t    transport.Transport
	msg  string
	got  []byte
	done *eventloop.Future[string]
}

func (c *echoClient) ConnectionMade(t transport.Transport) {
	c.t = t
	t.Write([]byte(c.msg))
}

func (c *echoClient) DataReceived(b []byte) {
	c.got = append(c.got, b...) // b is only valid during the call
	if len(c.got) == len(c.msg) {
		c.t.Close()
	}
}

func (c *echoClient) ConnectionLost(err error) {
	if err != nil {
		c.done.SetError(err)
		return
	}
	c.done.SetResult(string(c.got))
}

// An echo server and client over protocols, asyncio's classic example.
func Example_echoProtocols() {
	l, _ := eventloop.New()
	defer l.Close()
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (string, error) {
		srv, err := transport.CreateServer(ctx, func() *echoServer { return &echoServer{} }, "tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		done := eventloop.NewFuture[string](l)
		_, _, err = transport.CreateConnection(ctx, func() *echoClient {
			return &echoClient{msg: "hello, transports", done: done}
		}, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return "", err
		}
		echoed, err := eventloop.Await(ctx, done)
		srv.Close()
		srv.WaitClosed(ctx) // the server side closes on the client's EOF
		return echoed, err
	})
	l.RunUntilComplete(main)
	fmt.Println(main.Result())
	// Output: hello, transports <nil>
}
