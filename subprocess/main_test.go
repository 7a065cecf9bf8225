//go:build unix

package subprocess

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The tests start the test binary itself as the child (os/exec's habit):
// with AIO_SUBPROCESS_HELPER set, TestMain runs one of the helpers below
// instead of the tests, so no test depends on /bin tools.
const helperEnv = "AIO_SUBPROCESS_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// helper returns name, args and the env option that make the test binary
// act as helper h.
func helper(h string, args ...string) (string, []string, Option) {
	// GORACE: a -race child would otherwise sleep 1 s at exit (the race
	// runtime's atexit_sleep_ms default).
	return os.Args[0], args, WithEnv(append(os.Environ(), helperEnv+"="+h, "GORACE=atexit_sleep_ms=0"))
}

func runHelper(h string, args []string) int {
	switch h {
	case "echo": // print the arguments, one per line
		for _, a := range args {
			fmt.Println(a)
		}
	case "cat": // copy stdin to stdout
		io.Copy(os.Stdout, os.Stdin)
	case "cat2": // copy stdin to stdout and to stderr, reversed case on stderr
		buf := make([]byte, 32*1024)
		for {
			n, err := os.Stdin.Read(buf)
			if n > 0 {
				os.Stdout.Write(buf[:n])
				os.Stderr.Write([]byte(strings.ToUpper(string(buf[:n]))))
			}
			if err != nil {
				break
			}
		}
	case "exit": // exit with the given code
		n, _ := strconv.Atoi(args[0])
		return n
	case "hang": // block until killed (or stdin closes)
		io.Copy(io.Discard, os.Stdin)
		select {}
	case "big": // write N bytes of a known pattern to stdout
		n, _ := strconv.Atoi(args[0])
		w := bufio.NewWriterSize(os.Stdout, 64*1024)
		for i := 0; i < n; i++ {
			w.WriteByte(byte('a' + i%26))
		}
		w.Flush()
	case "env": // print one variable
		fmt.Print(os.Getenv(args[0]))
	case "pwd":
		d, _ := os.Getwd()
		fmt.Print(d)
	case "fds": // list open descriptors above 2
		var open []string
		for fd := 3; fd < 1024; fd++ {
			var st syscall.Stat_t
			if syscall.Fstat(fd, &st) == nil {
				link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
				open = append(open, strconv.Itoa(fd)+"="+link)
			}
		}
		fmt.Print(strings.Join(open, ","))
	case "closeall": // close stdin and stdout, then wait to be killed
		os.Stdin.Close()
		os.Stdout.Close()
		time.Sleep(time.Hour)
	case "grandchild": // start a grandchild that keeps stdout open until stdin has a line, then exit
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperEnv+"=holdout")
		cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Println("started")
		return 0
	case "chatty": // print early, wait for SIGUSR1, print late
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGUSR1)
		fmt.Println("early")
		<-ch
		fmt.Println("late")
	case "holdout": // read a line from stdin, print it, exit
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Print("grandchild got " + line)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", h)
		return 99
	}
	return 0
}

func sleepMillis(n int) { time.Sleep(time.Duration(n) * time.Millisecond) }
