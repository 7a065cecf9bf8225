package streams_test

import (
	"context"
	"errors"
	"time"

	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// ReadUntil with several separators, as Python 3.13's readuntil with a
// tuple (test_streams: test_readuntil_multi_chunks_many and the tuple
// cases): the match that ends first wins, the shorter one on a tie.
func TestReaderReadUntilSeveralSeparators(t *testing.T) {
	run(t, func(ctx context.Context) error {
		for _, c := range []struct {
			name string
			feed []string
			seps []string
			want string
			rest int
		}{
			{"the earlier end wins, not the earlier start", []string{"aXYZWb"}, []string{"XYZW", "Z"}, "aXYZ", 2},
			{"order of separators does not matter", []string{"aXYZWb"}, []string{"Z", "XYZW"}, "aXYZ", 2},
			{"CRLF or LF", []string{"lineAAA\r\nlineB\n"}, []string{"\n", "\r\n"}, "lineAAA\r\n", 6},
			{"a tie ends at the same byte", []string{"abc!!def"}, []string{"c!!", "!!"}, "abc!!", 3},
			{"across chunks", []string{"ab", "c|", "x", "yz"}, []string{"xyz", "|"}, "abc|", 3},
			{"separator split across chunks", []string{"abc\r", "\ndef"}, []string{"\r\n", "d"}, "abc\r\n", 3},
		} {
			r := newReader(ctx, 0, c.feed...)
			var seps [][]byte
			for _, s := range c.seps {
				seps = append(seps, []byte(s))
			}
			got, err := r.ReadUntil(ctx, seps...)
			noErr(t, err)
			want(t, c.name, string(got), c.want)
			want(t, c.name+": left buffered", r.Buffered(), c.rest)
		}

		// Chunks fed while the read waits: the match is found when it comes.
		r := newReader(ctx, 0)
		rd := eventloop.Spawn(ctx, func(ctx context.Context) ([]byte, error) {
			return r.ReadUntil(ctx, []byte("END"), []byte("\n\n"))
		})
		for _, part := range []string{"some", " text", "\n", "\nmore"} {
			eventloop.Sleep(ctx, 0)
			r.FeedData([]byte(part))
		}
		got, err := eventloop.Await(ctx, rd)
		noErr(t, err)
		want(t, "fed while waiting", string(got), "some text\n\n")

		// Limits: no separator within the limit fails and keeps the data.
		r = newReader(ctx, 5, "0123456789\n")
		_, err = r.ReadUntil(ctx, []byte("\n"), []byte("xx"))
		var lo *streams.LimitOverrunError
		if !errors.As(err, &lo) || !lo.Found {
			t.Errorf("beyond the limit: %v", err)
		}
		want(t, "kept after overrun", r.Buffered(), 11)

		// EOF without a separator: IncompleteReadError with everything.
		r = newReader(ctx, 0, "no end")
		r.FeedEOF()
		_, err = r.ReadUntil(ctx, []byte("\n"), []byte("."))
		var inc *streams.IncompleteReadError
		if !errors.As(err, &inc) || string(inc.Partial) != "no end" {
			t.Errorf("at EOF: %v", err)
		}

		// Misuse.
		if _, err := newReader(ctx, 0, "x").ReadUntil(ctx); err == nil {
			t.Error("no separator accepted")
		}
		if _, err := newReader(ctx, 0, "x").ReadUntil(ctx, []byte("a"), nil); err == nil {
			t.Error("an empty separator accepted")
		}

		// Cancellation leaves the buffer alone.
		r = newReader(ctx, 0, "partial")
		err = task.Timeout(ctx, time.Millisecond, func(ctx context.Context) error {
			_, err := r.ReadUntil(ctx, []byte("\n"), []byte("\r\n"))
			return err
		})
		if !errors.Is(err, eventloop.ErrTimeout) {
			t.Errorf("timed-out read: %v", err)
		}
		want(t, "kept after cancellation", r.Buffered(), len("partial"))
		return nil
	})
}

// Lines is "async for line in reader".
func TestReaderLines(t *testing.T) {
	run(t, func(ctx context.Context) error {
		r := newReader(ctx, 0, "one\ntw", "o\n", "three")
		r.FeedEOF()
		var got []string
		for line, err := range r.Lines(ctx) {
			noErr(t, err)
			got = append(got, string(line))
		}
		want(t, "lines", got, []string{"one\n", "two\n", "three"})

		// An error is yielded once and ends the iteration.
		boom := errors.New("boom")
		r = newReader(ctx, 0, "a\n")
		r.SetError(boom)
		var errs []error
		n := 0
		for _, err := range r.Lines(ctx) {
			n++
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) != 1 || !errors.Is(errs[0], boom) {
			t.Errorf("errors yielded: %v (of %d)", errs, n)
		}

		// Breaking out leaves the rest buffered.
		r = newReader(ctx, 0, "x\ny\nz\n")
		for range r.Lines(ctx) {
			break
		}
		want(t, "left after break", r.Buffered(), 4)
		return nil
	})
}
