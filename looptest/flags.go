package looptest

import (
	"flag"
	"fmt"
	"strconv"
)

var (
	seedOnly  = flag.String("looptest.seed", "", "run only this `seed` in looptest.Seeds (reproduce a failure)")
	seedCount = flag.Int("looptest.seeds", 0, "run this many seeds in looptest.Seeds instead of the count the test asks for")
)

// seedFlag returns the seed given with -looptest.seed, if any.
func seedFlag() (seed uint64, ok bool, err error) {
	if *seedOnly == "" {
		return 0, false, nil
	}
	s, err := strconv.ParseUint(*seedOnly, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("looptest: -looptest.seed=%q: want a decimal seed (uint64)", *seedOnly)
	}
	return s, true, nil
}

// seedList is the seeds Seeds runs: the one of -looptest.seed, or 1..n
// (n replaced by -looptest.seeds when set).
func seedList(n int) ([]uint64, error) {
	if s, ok, err := seedFlag(); ok || err != nil {
		return []uint64{s}, err
	}
	if *seedCount > 0 {
		n = *seedCount
	}
	if n < 1 {
		return nil, fmt.Errorf("looptest: Seeds needs at least one seed, got n=%d", n)
	}
	out := make([]uint64, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, uint64(i))
	}
	return out, nil
}
