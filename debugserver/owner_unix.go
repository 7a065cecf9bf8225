//go:build unix

package debugserver

import (
	"io/fs"
	"syscall"
)

// ownerOf returns the uid that owns the file.
func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// modeBitsGuard: permission bits decide who may enter a directory.
const modeBitsGuard = true
