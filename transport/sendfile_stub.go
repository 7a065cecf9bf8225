//go:build !unix

package transport

import (
	"context"
	"os"
)

// nativeSendfile: Windows transports go through the read/write fallback
// (TransmitFile is not used).
func nativeSendfile(context.Context, Transport, *os.File, int64, int64) (int64, bool, error) {
	return 0, false, nil
}
