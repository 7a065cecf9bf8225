//go:build unix && !linux

package transport

// haveSendfile: the BSDs' sendfile(2) has another signature; files go
// through reads and writes there.
const haveSendfile = false
