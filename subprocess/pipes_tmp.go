package subprocess

// TEMPORARY until branch net lands eventloop.ConnectReadPipe/ConnectWritePipe.

import (
	"context"
	"errors"

	"github.com/aio-go/aio/eventloop"
)

func connectWritePipe(ctx context.Context, f func() *pipeProto, fd int) (eventloop.Transport, *pipeProto, error) {
	return nil, nil, errors.New("pipes not yet")
}

func connectReadPipe(ctx context.Context, f func() *pipeProto, fd int) (eventloop.Transport, *pipeProto, error) {
	return nil, nil, errors.New("pipes not yet")
}
