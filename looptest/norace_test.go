//go:build !race

package looptest

const raceEnabled = false
