package web_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/web"
)

// testCert borrows httptest's self-signed localhost certificate and a
// client that trusts it.
func testCert(t *testing.T) (tls.Certificate, *http.Client) {
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	cert := ts.TLS.Certificates[0]
	c := ts.Client()
	tr := c.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.NextProtos = []string{"h2", "http/1.1"} // the server must pick http/1.1
	ts.Close()
	t.Cleanup(tr.CloseIdleConnections)
	return cert, &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestTLS(t *testing.T) {
	cert, c := testCert(t)
	ls := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "no TLS state", 500)
			return
		}
		fmt.Fprintf(w, "%s %s", r.TLS.NegotiatedProtocol, r.URL.Path)
	}), func(s *web.Server) { s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} })
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				resp, err := c.Get(fmt.Sprintf("https://%s/%d-%d", ls.addr, i, j))
				if err != nil {
					t.Errorf("GET: %v", err)
					return
				}
				if got, want := bodyOf(resp), fmt.Sprintf("http/1.1 /%d-%d", i, j); got != want {
					t.Errorf("got %q, want %q", got, want)
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	// A plain client is refused.
	if resp, err := client(t).Get("http://" + ls.addr + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("plain HTTP on the TLS port: %s", resp.Status)
	}
}

func TestServePerCore(t *testing.T) {
	pc, err := web.ServePerCore(2, "tcp", "127.0.0.1:0", func(i int) *web.Server {
		return &web.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "loop %d", i)
		})}
	})
	if runtime.GOOS == "windows" {
		// Go's net package shares no port between listeners there.
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("ServePerCore on windows: %v, want errors.ErrUnsupported", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for range 40 {
		// A new connection each time, so the kernel picks a loop.
		tr := &http.Transport{DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr}).Get("http://" + pc.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		seen[bodyOf(resp)]++
		resp.Body.Close()
	}
	if len(seen) != 2 {
		t.Logf("connections by loop: %v (the kernel's choice)", seen)
	}
	for k := range seen {
		if k != "loop 0" && k != "loop 1" {
			t.Errorf("answer %q", k)
		}
	}
	if err := pc.Shutdown(time.Second); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
