// gofileio: goroutines read a file over and over while the Go runtime preempts them with SIGURG
// (which interrupts syscalls constantly): prints the content once and how many reads differed.
package main

import (
	"fmt"
	"os"
	"sync"
)

func main() {
	path := os.Args[1]
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	first, err := os.ReadFile(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum := 0
			for i := 0; i < 200; i++ {
				data, err := os.ReadFile(path)
				if err != nil || string(data) != string(first) {
					mu.Lock()
					bad++
					mu.Unlock()
				}
				for j := 0; j < 20000; j++ { // CPU work between reads: preemption points
					sum += j
				}
			}
			_ = sum
		}()
	}
	wg.Wait()
	fmt.Printf("%sbad reads: %d\n", first, bad)
}
