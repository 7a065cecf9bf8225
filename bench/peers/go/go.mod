module github.com/aio-go/aio/bench/peers/go

go 1.26.0
