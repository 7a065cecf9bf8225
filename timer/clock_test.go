package timer

import (
	"math"
	"sync"
	"testing"
	"time"
)

func TestVirtualStartsAtZero(t *testing.T) {
	for _, v := range []*Virtual{NewVirtual(), new(Virtual)} {
		if got := v.Now(); got != 0 {
			t.Fatalf("Now = %v, want 0", got)
		}
	}
}

func TestVirtualMoves(t *testing.T) {
	tests := []struct {
		name     string
		start    time.Duration
		move     func(v *Virtual) time.Duration // returns what Wait returned, if called
		wantNow  time.Duration
		wantWait time.Duration
	}{
		{"Wait jumps forward", 10, func(v *Virtual) time.Duration { return v.Wait(50) }, 50, 0},
		{"Wait on a past deadline", 50, func(v *Virtual) time.Duration { return v.Wait(10) }, 50, 0},
		{"Wait on now", 50, func(v *Virtual) time.Duration { return v.Wait(50) }, 50, 0},
		{"Wait on a negative deadline", 0, func(v *Virtual) time.Duration { return v.Wait(-5) }, 0, 0},
		{"Advance", 10, func(v *Virtual) time.Duration { v.Advance(5); return 0 }, 15, 0},
		{"Advance zero", 10, func(v *Virtual) time.Duration { v.Advance(0); return 0 }, 10, 0},
		{"Advance negative is ignored", 10, func(v *Virtual) time.Duration { v.Advance(-5); return 0 }, 10, 0},
		{"Advance saturates", math.MaxInt64 - 3, func(v *Virtual) time.Duration { v.Advance(10); return 0 }, math.MaxInt64, 0},
		{"Set forward", 10, func(v *Virtual) time.Duration { v.Set(30); return 0 }, 30, 0},
		{"Set backwards is ignored", 30, func(v *Virtual) time.Duration { v.Set(10); return 0 }, 30, 0},
		{"Set to max", 30, func(v *Virtual) time.Duration { v.Set(math.MaxInt64); return 0 }, math.MaxInt64, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVirtual()
			v.Set(tt.start)
			if got := tt.move(v); got != tt.wantWait {
				t.Fatalf("Wait returned %v, want %v", got, tt.wantWait)
			}
			if got := v.Now(); got != tt.wantNow {
				t.Fatalf("Now = %v, want %v", got, tt.wantNow)
			}
		})
	}
}

// TestVirtualConcurrent runs Now, Advance, Set and Wait from several
// goroutines (meant for -race): Advance calls must all add up, Set and Wait
// must not lose them, and every goroutine must see time only go forward.
func TestVirtualConcurrent(t *testing.T) {
	v := NewVirtual()
	const goroutines, steps = 4, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := v.Now()
			for i := range steps {
				switch i % 3 {
				case 0:
					v.Advance(time.Duration(g + 1))
				case 1:
					v.Set(v.Now() - 1) // backwards: ignored
				case 2:
					if w := v.Wait(v.Now()); w != 0 {
						t.Errorf("Wait returned %v", w)
						return
					}
				}
				now := v.Now()
				if now < last {
					t.Errorf("time went back from %v to %v", last, now)
					return
				}
				last = now
			}
		}()
	}
	wg.Wait()
	// Each goroutine advanced ceil(steps/3) times by g+1; Set and Wait
	// never moved the clock, since they only targeted times already passed.
	var want time.Duration
	for g := range goroutines {
		want += time.Duration((steps+2)/3) * time.Duration(g+1)
	}
	if got := v.Now(); got != want {
		t.Fatalf("Now = %v after concurrent Advance calls, want %v", got, want)
	}
}

// TestVirtualConcurrentSet checks that concurrent Set calls leave the latest
// time, whatever the interleaving.
func TestVirtualConcurrentSet(t *testing.T) {
	v := NewVirtual()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				v.Set(time.Duration(i*4 + g))
			}
		}()
	}
	wg.Wait()
	if got, want := v.Now(), time.Duration(999*4+3); got != want {
		t.Fatalf("Now = %v, want %v", got, want)
	}
}

func TestRealMonotonic(t *testing.T) {
	for _, r := range []*Real{NewReal(), new(Real)} {
		last := r.Now()
		if last < 0 {
			t.Fatalf("Now = %v, before the epoch", last)
		}
		for range 1000 {
			now := r.Now()
			if now < last {
				t.Fatalf("Now went back from %v to %v", last, now)
			}
			last = now
		}
	}
}

func TestRealEpochIsConstruction(t *testing.T) {
	// The zero Real counts from package initialization; a NewReal counts
	// from its construction, which the zero clock's readings bracket.
	zero := new(Real)
	before := zero.Now()
	r := NewReal()
	after := zero.Now()
	if r.epoch < before || r.epoch > after {
		t.Fatalf("epoch %v not within [%v, %v]", r.epoch, before, after)
	}
	z1 := zero.Now()
	got := r.Now()
	z2 := zero.Now()
	if got < z1-r.epoch || got > z2-r.epoch {
		t.Fatalf("Now = %v, want within [%v, %v]", got, z1-r.epoch, z2-r.epoch)
	}
}

func TestRealWait(t *testing.T) {
	r := NewReal()
	if got := r.Wait(r.Now() - time.Second); got != 0 {
		t.Fatalf("Wait on a past deadline = %v, want 0", got)
	}
	if got := r.Wait(math.MinInt64); got != 0 {
		t.Fatalf("Wait(MinInt64) = %v, want 0", got)
	}
	// The remaining time is at most the distance to the deadline and, since
	// Wait does not sleep, more than zero for a deadline an hour away.
	before := r.Now()
	got := r.Wait(before + time.Hour)
	if got > time.Hour || got <= 0 {
		t.Fatalf("Wait(now+1h) = %v, want in (0, 1h]", got)
	}
}

func BenchmarkVirtualNow(b *testing.B) {
	v := NewVirtual()
	b.ReportAllocs()
	var sink time.Duration
	for b.Loop() {
		sink += v.Now()
	}
	_ = sink
}

func BenchmarkRealNow(b *testing.B) {
	r := NewReal()
	b.ReportAllocs()
	var sink time.Duration
	for b.Loop() {
		sink += r.Now()
	}
	_ = sink
}
