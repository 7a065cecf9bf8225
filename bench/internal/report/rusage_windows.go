package report

// The benchmarks measure on Linux; on Windows they build (so the module
// cross-compiles) but report no resource usage.

// MaxRSSKB returns 0: not measured on Windows.
func MaxRSSKB() int64 { return 0 }

// CPUSeconds returns 0: not measured on Windows.
func CPUSeconds() float64 { return 0 }
