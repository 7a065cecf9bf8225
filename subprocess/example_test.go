//go:build unix

package subprocess_test

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/subprocess"
	"github.com/aio-go/aio/task"
)

// A pipeline of two processes connected through the loop, like the shell's
// `printf … | sort`: a task copies the first child's stdout into the second
// child's stdin, with Drain for back-pressure, while Communicate collects
// the second child's output.
func Example_pipeline() {
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		producer, err := subprocess.Shell(ctx, `printf 'pear\napple\nfig\n'`,
			subprocess.WithStdin(subprocess.DevNull), subprocess.WithStdout(subprocess.Pipe))
		if err != nil {
			return struct{}{}, err
		}
		sorter, err := subprocess.Exec(ctx, "sort", nil,
			subprocess.WithStdin(subprocess.Pipe), subprocess.WithStdout(subprocess.Pipe))
		if err != nil {
			return struct{}{}, err
		}
		pump := task.Go(ctx, func(ctx context.Context) error {
			defer sorter.Stdin.Close() // EOF for sort
			for {
				chunk, err := producer.Stdout.Read(ctx, 64*1024)
				if err != nil {
					return nil // EOF (io.EOF) ends the copy
				}
				if err := sorter.Stdin.Write(chunk); err != nil {
					return err
				}
				if err := sorter.Stdin.Drain(ctx); err != nil {
					return err
				}
			}
		})
		out, _, err := sorter.Communicate(ctx, nil)
		if err != nil {
			return struct{}{}, err
		}
		if err := task.Gather(ctx, pump); err != nil {
			return struct{}{}, err
		}
		rc1, _ := producer.Wait(ctx)
		rc2, _ := sorter.Wait(ctx)
		fmt.Print(string(out))
		fmt.Println("exit codes:", rc1, rc2)
		return struct{}{}, nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// apple
	// fig
	// pear
	// exit codes: 0 0
}
