package debugserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// DefaultPath returns where the endpoint of process pid listens by
// default: $XDG_RUNTIME_DIR/aio-<pid>.sock when XDG_RUNTIME_DIR is set (a
// per-user directory only its owner can enter), else
// <os.TempDir()>/aio-<uid>/aio-<pid>.sock, in a directory Listen makes
// with mode 0700. A client of the same user computes the same path.
func DefaultPath(pid int) string {
	name := "aio-" + strconv.Itoa(pid) + ".sock"
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, name)
	}
	return filepath.Join(tempDir(), name)
}

// tempDir is the per-user directory under os.TempDir().
func tempDir() string {
	return filepath.Join(os.TempDir(), "aio-"+strconv.Itoa(os.Getuid()))
}

// candidatePaths are the places a client looks for pid's endpoint: the
// default path, then the temp-dir one (the server may have run without
// XDG_RUNTIME_DIR).
func candidatePaths(pid int) []string {
	p := DefaultPath(pid)
	alt := filepath.Join(tempDir(), filepath.Base(p))
	if alt == p {
		return []string{p}
	}
	return []string{p, alt}
}

// ensurePrivateDir makes dir with mode 0700 if it does not exist and
// checks that it is a real directory (not a symlink) owned by this user
// that nobody else can enter, so that no other user can place or replace
// files in it.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("debugserver: making %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("debugserver: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("debugserver: %s is not a directory: %w", dir, ErrUnsafePath)
	}
	if modeBitsGuard && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("debugserver: %s has mode %v, want 0700: %w", dir, fi.Mode().Perm(), ErrUnsafePath)
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("debugserver: %s belongs to uid %d, not %d: %w", dir, uid, os.Getuid(), ErrUnsafePath)
	}
	return nil
}
