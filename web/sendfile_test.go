package web_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/web"
)

func staticData(t *testing.T, n int) (string, []byte) {
	data := make([]byte, n)
	x := uint32(7)
	for i := range data {
		x = x*1664525 + 1013904223
		data[i] = byte(x >> 24)
	}
	// Not t.TempDir: under Wine its cleanup (os.RemoveAll) fails.
	dir, err := os.MkdirTemp("", "static")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "big.bin")
	t.Cleanup(func() { os.Remove(name); os.Remove(dir) })
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name, data
}

// A static file served with http.ServeContent over a files.File goes
// through Sendfile: whole, in ranges, and not at all for HEAD; a body
// copied without a Content-Length is chunked through Write instead.
func TestStaticFileSendfile(t *testing.T) {
	name, data := staticData(t, 8<<20+3)
	var mu sync.Mutex
	var sent []int64
	defer web.SetSendfileHook(func(n int64) { mu.Lock(); sent = append(sent, n); mu.Unlock() })()
	mux := http.NewServeMux()
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f, err := files.Open(ctx, name)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close(ctx)
		http.ServeContent(w, r, "big.bin", time.Unix(1e9, 0), f.IO(ctx))
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(name)
		if err != nil {
			return
		}
		defer f.Close()
		io.Copy(w, f) // no Content-Length: chunked, through Write
	})
	ls := serve(t, mux)
	c := client(t)
	get := func(method, path, rng string) (*http.Response, []byte) {
		req, _ := http.NewRequestWithContext(context.Background(), method, ls.url()+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	resp, b := get("GET", "/file", "")
	if resp.StatusCode != 200 || !bytes.Equal(b, data) || resp.ContentLength != int64(len(data)) {
		t.Errorf("GET: %d, %d bytes (equal %v), Content-Length %d", resp.StatusCode, len(b), bytes.Equal(b, data), resp.ContentLength)
	}
	resp, b = get("GET", "/file", "bytes=1000-1999999")
	if resp.StatusCode != 206 || !bytes.Equal(b, data[1000:2000000]) {
		t.Errorf("Range: %d, %d bytes (equal %v)", resp.StatusCode, len(b), bytes.Equal(b, data[1000:2000000]))
	}
	resp, b = get("GET", "/file", "bytes=-10")
	if resp.StatusCode != 206 || !bytes.Equal(b, data[len(data)-10:]) {
		t.Errorf("suffix Range: %d, %q", resp.StatusCode, b)
	}
	resp, b = get("HEAD", "/file", "")
	if resp.StatusCode != 200 || len(b) != 0 || resp.ContentLength != int64(len(data)) {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %d", resp.StatusCode, len(b), resp.ContentLength)
	}
	resp, b = get("GET", "/chunked", "")
	if !bytes.Equal(b, data) || len(resp.TransferEncoding) != 1 {
		t.Errorf("chunked: %d bytes (equal %v), %v", len(b), bytes.Equal(b, data), resp.TransferEncoding)
	}
	// The keep-alive connection still works after the sendfile bodies.
	_, b = get("GET", "/file", "bytes=0-3")
	if !bytes.Equal(b, data[:4]) {
		t.Errorf("after: %q", b)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := fmt.Sprint(sent); got != fmt.Sprint([]int64{int64(len(data)), 2000000 - 1000, 10, 4}) {
		t.Errorf("bodies through Sendfile: %s", got)
	}
}

// Over TLS the same handler serves the same bytes: Sendfile takes its
// read/write path there.
func TestStaticFileOverTLS(t *testing.T) {
	name, data := staticData(t, 3<<20+5)
	cert, c := testCert(t)
	var mu sync.Mutex
	var sent []int64
	defer web.SetSendfileHook(func(n int64) { mu.Lock(); sent = append(sent, n); mu.Unlock() })()
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f, err := files.Open(ctx, name)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close(ctx)
		http.ServeContent(w, r, "big.bin", time.Unix(1e9, 0), f.IO(ctx))
	}), func(s *web.Server) { s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} })
	for _, rng := range []string{"", "bytes=10-1048585"} {
		req, _ := http.NewRequest("GET", "https://"+ls.addr+"/", nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := data
		if rng != "" {
			want = data[10:1048586]
		}
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("GET %q: %d bytes (want %d, equal %v), %v", rng, len(b), len(want), bytes.Equal(b, want), err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := fmt.Sprint(sent); got != fmt.Sprint([]int64{int64(len(data)), 1048576}) {
		t.Errorf("bodies through Sendfile: %s", got)
	}
}
