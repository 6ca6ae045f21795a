package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// memoryResult is the server's resident memory at each step, in MiB.
type memoryResult struct {
	Idle, Loaded float64
	After        []float64 // after each step of Requests requests
	HWM          float64   // peak RSS over the whole run
	Models       int
	Requests     int // per step
}

// procStatus reads a field such as "VmRSS" of /proc/PID/status in MiB.
func procStatus(pid int, field string) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// measureMemory predicts once on each of roots (loading every model), then
// sends `requests` run/predict calls (round-robin over the
// models and the uploaded images, `inflight` at a time) `steps` times,
// reading the server's RSS before, after loading, and after each step.
func measureMemory(h *hub, pid int, roots []string, imgs [][]byte, requests, steps, inflight int) (*memoryResult, error) {
	res := &memoryResult{Models: len(roots), Requests: requests}
	rss := func(dst *float64) error {
		v, err := procStatus(pid, "VmRSS")
		*dst = v
		return err
	}
	if err := rss(&res.Idle); err != nil {
		return nil, err
	}
	paths := make([][]string, len(roots))
	names := make([]string, len(imgs))
	for i := range names {
		names[i] = fmt.Sprintf("img-%d.jpg", i)
	}
	for i, root := range roots {
		p, err := h.upload(root, names, imgs)
		if err != nil {
			return nil, err
		}
		paths[i] = p
		if _, err := h.predict(root, p[0]); err != nil {
			return nil, err
		}
	}
	if err := rss(&res.Loaded); err != nil {
		return nil, err
	}
	for range steps {
		if err := hammer(h, roots, paths, requests, inflight); err != nil {
			return nil, err
		}
		var v float64
		if err := rss(&v); err != nil {
			return nil, err
		}
		res.After = append(res.After, v)
	}
	hwm, err := procStatus(pid, "VmHWM")
	res.HWM = hwm
	return res, err
}

// hammer sends n run/predict requests, inflight at a time.
func hammer(h *hub, roots []string, paths [][]string, n, inflight int) error {
	jobs := make(chan int)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				m := i % len(roots)
				if _, err := h.predict(roots[m], paths[m][(i/len(roots))%len(paths[m])]); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return first
}
