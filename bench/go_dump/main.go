// P4 comparison: a full debug=2 goroutine dump, pprof.Lookup("goroutine").WriteTo(w, 2), with N
// goroutines blocked on a channel, written into memory.
//
// usage: go_dump [GOROUTINES=1000] [DUMPS=15]
// prints: dump_ms=<median ms per dump>  dump_min_ms=<fastest>  dump_bytes=<size of one dump>
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"time"
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
	dumps := argOr(2, 15)

	done := make(chan struct{})
	var started sync.WaitGroup
	started.Add(goroutines)
	for i := 0; i < goroutines; i++ {
		go blockUntilClosed(&started, done)
	}
	started.Wait()

	profile := pprof.Lookup("goroutine")
	var out bytes.Buffer
	profile.WriteTo(&out, 2) // warm-up, untimed: lets the last goroutines park
	times := make([]float64, dumps)
	for i := range times {
		out.Reset()
		start := time.Now()
		err := profile.WriteTo(&out, 2)
		times[i] = float64(time.Since(start).Nanoseconds()) / 1e6
		if err != nil {
			fmt.Fprintln(os.Stderr, "go_dump:", err)
			os.Exit(1)
		}
	}
	close(done)
	sort.Float64s(times)
	fmt.Printf("dump_ms=%.4f\ndump_min_ms=%.4f\ndump_bytes=%d\n", times[len(times)/2], times[0], out.Len())
}
