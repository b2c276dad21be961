// P3 comparison: the cost of a clean goleak.Find while 1,000 background goroutines are alive and
// ignored by their top function, the goleak counterpart of tl_verify_none with ignored threads.
//
// usage: goleak_find [GOROUTINES=1000] [CALLS=30]
// prints: find_ms=<median ms per Find>  find_min_ms=<fastest>
//
// Built in GOPATH mode against Debian's golang-uber-goleak-dev (see bench/CMakeLists.txt).
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"go.uber.org/goleak"
)

func blockUntilClosed(started *sync.WaitGroup, done <-chan struct{}) {
	started.Done()
	<-done
}

func argOr(index int, fallback int) int {
	if len(os.Args) > index {
		if n, err := strconv.Atoi(os.Args[index]); err == nil && n > 0 {
			return n
		}
	}
	return fallback
}

func main() {
	goroutines := argOr(1, 1000)
	calls := argOr(2, 30)

	done := make(chan struct{})
	var started sync.WaitGroup
	started.Add(goroutines)
	for i := 0; i < goroutines; i++ {
		go blockUntilClosed(&started, done)
	}
	started.Wait()

	ignore := goleak.IgnoreTopFunction("main.blockUntilClosed")
	// The first call also waits for the last goroutines to park; it is not timed.
	if err := goleak.Find(ignore); err != nil {
		fmt.Fprintln(os.Stderr, "goleak_find: unexpected leak:", err)
		os.Exit(1)
	}
	times := make([]float64, calls)
	for i := range times {
		start := time.Now()
		err := goleak.Find(ignore)
		times[i] = float64(time.Since(start).Nanoseconds()) / 1e6
		if err != nil {
			fmt.Fprintln(os.Stderr, "goleak_find: unexpected leak:", err)
			os.Exit(1)
		}
	}
	close(done)
	sort.Float64s(times)
	fmt.Printf("find_ms=%.4f\nfind_min_ms=%.4f\n", times[len(times)/2], times[0])
}
