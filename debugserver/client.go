package debugserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Fetch asks the endpoint at path for a Report. ctx bounds the whole
// exchange (without a deadline, Fetch gives up after 10 s). A path where
// nothing listens is ErrNoEndpoint.
func Fetch(ctx context.Context, path string) (*Report, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w at %s (did the program call debugserver.Listen, and is it still running?)", ErrNoEndpoint, path)
		}
		return nil, fmt.Errorf("debugserver: connecting to %s: %w", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(c, request+"\n"); err != nil {
		return nil, fmt.Errorf("debugserver: sending request to %s: %w", path, err)
	}
	body, err := io.ReadAll(io.LimitReader(c, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("debugserver: reading report from %s: %w", path, err)
	}
	var msg struct {
		Report
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, fmt.Errorf("debugserver: bad report from %s: %w", path, err)
	}
	if msg.Error != "" {
		return nil, fmt.Errorf("debugserver: the endpoint at %s refused: %s", path, msg.Error)
	}
	if msg.Version != ProtocolVersion {
		return nil, fmt.Errorf("debugserver: the endpoint at %s speaks version %d, this client %d", path, msg.Version, ProtocolVersion)
	}
	return &msg.Report, nil
}

// FetchPID finds the endpoint of process pid at its default path (see
// DefaultPath) and fetches its Report. A pid that no process has is
// ErrNoProcess; a process without an endpoint, ErrNoEndpoint.
func FetchPID(ctx context.Context, pid int) (*Report, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("debugserver: invalid pid %d", pid)
	}
	if err := processExists(pid); err != nil {
		return nil, err
	}
	var lastErr error
	for _, p := range candidatePaths(pid) {
		r, err := Fetch(ctx, p)
		if err == nil || !errors.Is(err, ErrNoEndpoint) {
			return r, err
		}
		lastErr = err
	}
	return nil, fmt.Errorf("debugserver: process %d: %w", pid, lastErr)
}

// FetchTarget fetches from target, which is a PID (all digits) or a
// socket path, as the aio command takes it.
func FetchTarget(ctx context.Context, target string) (*Report, error) {
	if target == "" {
		return nil, errors.New("debugserver: no target: want a PID or a socket path")
	}
	if pid, err := strconv.Atoi(target); err == nil {
		return FetchPID(ctx, pid)
	}
	return Fetch(ctx, target)
}

// processExists probes pid with signal 0.
func processExists(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return fmt.Errorf("%w: %d: %v", ErrNoProcess, pid, err)
	}
	err = p.Signal(syscall.Signal(0))
	switch {
	case err == nil, errors.Is(err, syscall.EPERM): // EPERM: it exists, it is not ours
		return nil
	case errors.Is(err, os.ErrProcessDone), errors.Is(err, syscall.ESRCH):
		return fmt.Errorf("%w: %d", ErrNoProcess, pid)
	}
	return nil // cannot tell on this system: let the connection decide
}
