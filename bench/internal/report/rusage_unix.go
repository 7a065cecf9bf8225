//go:build unix

package report

import "syscall"

// MaxRSSKB is getrusage(RUSAGE_SELF).ru_maxrss in KiB.
func MaxRSSKB() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

// CPUSeconds is the process's user+system CPU time.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
