package web

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// sendLog is a transport that records the size of each Write and
// Writelines call before passing it on.
type sendLog struct {
	transport.Transport
	sends []int
}

func (s *sendLog) Write(p []byte) error {
	s.sends = append(s.sends, len(p))
	return s.Transport.Write(p)
}

func (s *sendLog) Writelines(bufs [][]byte) error {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	s.sends = append(s.sends, n)
	return s.Transport.Writelines(bufs)
}

// loggedProtocol hands the stream protocol a sendLog around its transport.
type loggedProtocol struct {
	*streams.Protocol
	log *sendLog
}

func (p *loggedProtocol) ConnectionMade(t transport.Transport) {
	p.log.Transport = t
	p.Protocol.ConnectionMade(p.log)
}

// TestLargeBodyGoesOutWithItsHeader: a body larger than the connection's
// write buffer leaves in one transport write together with the header (a
// vectored write, one system call on a socket), not as a full buffer and
// then the rest; with chunked framing, each large chunk leaves with its
// chunk header. The bytes are what the handler wrote.
func TestLargeBodyGoesOutWithItsHeader(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1024) // 16 KiB
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "content-length", true: "chunked"}[chunked]
		t.Run(name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !chunked {
					w.Header().Set("Content-Length", "16384")
					w.Write(big)
					return
				}
				w.Write(big)
				w.Write(big)
			})
			l, err := eventloop.New()
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			log := &sendLog{}
			tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (*http.Response, error) {
				s := &Server{Handler: h, loop: l}
				s.hbr = bufio.NewReaderSize(&s.hsrc, 4096)
				sp := &loggedProtocol{Protocol: streams.NewProtocol(ctx), log: log}
				cp := streams.NewProtocol(ctx)
				if _, _, err := transport.NewTransportPair(l, sp, cp); err != nil {
					return nil, err
				}
				if err := eventloop.Sleep(ctx, 0); err != nil { // ConnectionMade runs
					return nil, err
				}
				eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
					s.serveConn(ctx, sp.Reader(), sp.Writer())
					return struct{}{}, nil
				})
				if err := cp.Writer().Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
					return nil, err
				}
				all, err := cp.Reader().Read(ctx, -1)
				if err != nil {
					return nil, err
				}
				return http.ReadResponse(bufio.NewReader(bytes.NewReader(all)), nil)
			})
			if err := l.RunUntilComplete(tk); err != nil {
				t.Fatal(err)
			}
			res, err := tk.Result()
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			want := big
			if chunked {
				want = slices.Concat(big, big)
			}
			if !bytes.Equal(body, want) {
				t.Fatalf("body of %d bytes, want %d of the handler's", len(body), len(want))
			}
			if chunked != (len(res.TransferEncoding) > 0) {
				t.Fatalf("transfer encoding %q", res.TransferEncoding)
			}
			// Each big write leaves in one send with what was buffered
			// before it (the header, or the previous chunk's end and this
			// chunk's size line); the last send holds the end.
			var large []int
			for _, n := range log.sends {
				if n > len(big) {
					large = append(large, n)
				}
			}
			if len(large) != len(want)/len(big) {
				t.Fatalf("sends %v: want each %d-byte write sent with its header, in one send", log.sends, len(big))
			}
		})
	}
}
