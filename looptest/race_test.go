//go:build race

package looptest

const raceEnabled = true
