package streams_test

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// lineDB is a toy database driver of the kind that takes a dial function
// (pgx's DialFunc, the MySQL driver's RegisterDialContext): its
// connections come from a streams.Dialer, so database/sql's goroutines
// talk over loop sockets. A query "double N" returns one row, 2N.
type lineDB struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (d lineDB) Open(addr string) (driver.Conn, error) {
	c, err := d.dial(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &lineConn{c: c, r: bufio.NewReader(c)}, nil
}

type lineConn struct {
	c net.Conn
	r *bufio.Reader
}

func (c *lineConn) Prepare(q string) (driver.Stmt, error) { return &lineStmt{c, q}, nil }
func (c *lineConn) Close() error                          { return c.c.Close() }
func (c *lineConn) Begin() (driver.Tx, error)             { return nil, errors.New("no transactions") }

type lineStmt struct {
	c *lineConn
	q string
}

func (s *lineStmt) Close() error  { return nil }
func (s *lineStmt) NumInput() int { return 1 }
func (s *lineStmt) Exec(args []driver.Value) (driver.Result, error) {
	return nil, errors.New("no exec")
}
func (s *lineStmt) Query(args []driver.Value) (driver.Rows, error) {
	if _, err := fmt.Fprintf(s.c.c, "%s %v\n", s.q, args[0]); err != nil {
		return nil, err
	}
	line, err := s.c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	return &lineRows{v: n}, err
}

type lineRows struct {
	v    int64
	done bool
}

func (r *lineRows) Columns() []string { return []string{"v"} }
func (r *lineRows) Close() error      { return nil }
func (r *lineRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done, dest[0] = true, r.v
	return nil
}

var lineDBs atomic.Int32

// database/sql from tasks through ToThread, its driver dialing through
// the loop; the database server is a loop task per connection.
func TestDatabaseSQLOverLoop(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			defer w.Close()
			for {
				line, err := r.ReadLine(ctx)
				if err != nil {
					return
				}
				n, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(string(line)), "double "))
				w.Write([]byte(strconv.Itoa(2*n) + "\n"))
			}
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		d := &streams.Dialer{Loop: eventloop.LoopOf(ctx)}
		name := fmt.Sprintf("linedb-%d", lineDBs.Add(1)) // a new name per run: sql.Register refuses a second
		sql.Register(name, lineDB{dial: d.DialContext})
		db, err := sql.Open(name, srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(3)
		err = task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			for i := range 20 {
				g.Go(func(ctx context.Context) error {
					v, err := task.ToThread(ctx, func(ctx context.Context) (int64, error) {
						var v int64
						err := db.QueryRowContext(ctx, "double", i).Scan(&v)
						return v, err
					})
					if err == nil && v != int64(2*i) {
						err = fmt.Errorf("double %d = %d", i, v)
					}
					return err
				})
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) { return struct{}{}, db.Close() })
		noErr(t, err)
		srv.Close()
		if err := srv.WaitClosed(ctx); err != nil {
			return err
		}
		return settle(ctx)
	})
}
