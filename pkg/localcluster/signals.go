package localcluster

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Running clusters, stopped on SIGINT/SIGTERM so that Ctrl-C during a test
// or `make run` leaves no etcd or kube-apiserver behind (Pdeathsig covers a
// crash of the parent).
var (
	mu       sync.Mutex
	running  = map[*Cluster]bool{}
	sigOnce  sync.Once
	sigCh    = make(chan os.Signal, 1)
	exitFunc = os.Exit
)

func track(c *Cluster, onSignal bool) {
	mu.Lock()
	running[c] = true
	mu.Unlock()
	if !onSignal {
		return
	}
	sigOnce.Do(func() {
		signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)
		go func() {
			sig := <-sigCh
			mu.Lock()
			var cs []*Cluster
			for c := range running {
				cs = append(cs, c)
			}
			mu.Unlock()
			for _, c := range cs {
				_ = c.Stop()
			}
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			exitFunc(code)
		}()
	})
}

func untrack(c *Cluster) {
	mu.Lock()
	delete(running, c)
	mu.Unlock()
}
