package e2e

import (
	"fmt"
	"sync"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// httpResult is what n GETs saw: answers per server ident, and failures.
type httpResult struct {
	perServer map[string]int
	errs      []error
}

func (r httpResult) ok() int {
	n := 0
	for _, c := range r.perServer {
		n += c
	}
	return n
}

// firstErrors formats up to 5 failures.
func (r httpResult) firstErrors() string {
	s := ""
	for i, err := range r.errs {
		if i == 5 {
			s += fmt.Sprintf("... and %d more", len(r.errs)-5)
			break
		}
		s += "\n  " + err.Error()
	}
	return s
}

// getMany sends n GETs to url from ns, each on a new TCP connection, with
// the given number of concurrent workers. It stops early at the overall
// deadline; requests not sent then count as failures.
func getMany(ns *netlab.NS, url string, n, workers int, overall time.Duration) httpResult {
	res := httpResult{perServer: map[string]int{}}
	var mu sync.Mutex
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	deadline := time.Now().Add(overall)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var body string
				err := fmt.Errorf("request %d not sent: overall deadline %v passed", i, overall)
				if time.Now().Before(deadline) {
					body, err = netlab.HTTPGetNewConn(ns, url, 5*time.Second)
				}
				mu.Lock()
				if err != nil {
					res.errs = append(res.errs, fmt.Errorf("request %d: %w", i, err))
				} else {
					res.perServer[body]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}
