package peer

import (
	"slices"
	"testing"
)

// TestLCGDelaysMs checks the generator against docs/workloads.md's test vector.
func TestLCGDelaysMs(t *testing.T) {
	d := LCGDelaysMs(1_000_000, 12345)
	if want := []int{300, 626, 642, 922, 761, 793, 643, 767}; !slices.Equal(d[:8], want) {
		t.Errorf("first eight = %v, want %v", d[:8], want)
	}
	sum, zeros := 0, 0
	for _, x := range d {
		sum += x
		if x == 0 {
			zeros++
		}
	}
	if sum != 499_766_434 || slices.Max(d) != 999 || zeros != 973 {
		t.Errorf("sum %d max %d zeros %d, want 499766434 999 973", sum, slices.Max(d), zeros)
	}
}
