// Command w7wrk is the W7 (HTTP/1.1 server) load step: it checks the
// server's answer byte for byte, runs Debian's wrk for a 1 s warm-up and
// then for the measured window, and prints the JSON line with wrk's
// requests/s and the server's CPU per request. wrk's socket errors or
// non-2xx answers, or a wrong body, fail the run. wrk waits up to 10 s for
// an answer (its default is 2 s), longer than the window, so an answer
// that is slow (a server that serves some connections late) counts in the
// figures, not as an error.
//
// Usage: w7wrk -addr 127.0.0.1:PORT -path / -conns 50 -duration 5s [-server-pid PID]
//
// The driver pins this program (and so wrk) to CPU 1, the server to CPU 0.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

var (
	addr      = flag.String("addr", "", "server address host:port")
	path      = flag.String("path", "/", "/ (hello) or /16k")
	conns     = flag.Int("conns", 50, "keep-alive connections")
	duration  = flag.Duration("duration", 5*time.Second, "measured window")
	serverPID = flag.Int("server-pid", 0, "server process whose CPU to report (0 = none)")
)

func want() []byte {
	if *path == "/16k" {
		return bytes.Repeat([]byte("x"), 16384)
	}
	return []byte("Hello, World!\n")
}

func serverCPU() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", *serverPID))
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var t int64
	for _, s := range f[11:15] {
		n, _ := strconv.ParseInt(s, 10, 64)
		t += n
	}
	return float64(t) / 100 // USER_HZ
}

var (
	reqs   = regexp.MustCompile(`(\d+) requests in`)
	perSec = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	// errLine is wrk's line of socket errors or of non-2xx answers.
	errLine = regexp.MustCompile(`(?m)^[ \t]*(Socket errors|Non-2xx).*$`)
)

func wrk(d time.Duration) (n int, rps float64) {
	out, err := exec.Command("wrk", "-t1", fmt.Sprintf("-c%d", *conns), fmt.Sprintf("-d%ds", int(d.Seconds())),
		"--timeout", "10s", "http://"+*addr+*path).CombinedOutput()
	if err != nil {
		peer.Fail("wrk: %v: %s", err, out)
	}
	s := string(out)
	if m := errLine.FindString(s); m != "" {
		peer.Fail("wrk reported errors: %s", m)
	}
	m, r := reqs.FindStringSubmatch(s), perSec.FindStringSubmatch(s)
	if m == nil || r == nil {
		peer.Fail("wrk output: %s", s)
	}
	n, _ = strconv.Atoi(m[1])
	rps, _ = strconv.ParseFloat(r[1], 64)
	return n, rps
}

func main() {
	flag.Parse()
	if *addr == "" || *conns < 1 || *duration < time.Second {
		peer.Fail("need -addr, -conns >= 1, -duration >= 1s")
	}
	resp, err := http.Get("http://" + *addr + *path)
	if err != nil {
		peer.Fail("check request: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, want()) {
		peer.Fail("check request: status %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
	wrk(time.Second)
	c0 := serverCPU()
	n, rps := wrk(*duration)
	c1 := serverCPU()
	fields := map[string]any{
		"workload": "W7", "peer": "wrk", "n": n, "conns": *conns, "path": *path,
		"elapsed_s": duration.Seconds(), "rps": rps,
	}
	if c0 >= 0 && c1 >= 0 && n > 0 {
		fields["server_us_per_req"] = (c1 - c0) / float64(n) * 1e6
		fields["server_cpu"] = (c1 - c0) / duration.Seconds()
	}
	peer.Emit(fields)
}
