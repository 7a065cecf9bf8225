//go:build !unix

package main

import "errors"

func idlePoller() (func(), func(), error) {
	return nil, nil, errors.New("w1: chain-poll needs poll(2) (unix only)")
}
