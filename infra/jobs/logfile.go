package jobs

import (
	"bytes"
	"context"
	"io"
	"os"
	"sync"
)

// logFile is a task's output: everything goes to a file, the last lines
// are kept in memory, and followers are woken on each write.
type logFile struct {
	f *os.File

	mu      sync.Mutex
	lines   []string // the last complete lines, at most keep
	partial []byte   // the current line, not ended yet
	keep    int
	changed chan struct{} // closed and replaced on each write
	done    chan struct{} // closed when the task ended and all output is in
}

func newLogFile(f *os.File, keep int) *logFile {
	return &logFile{f: f, keep: keep, changed: make(chan struct{}), done: make(chan struct{})}
}

// Write appends p to the file and the line buffer.
func (l *logFile) Write(p []byte) (int, error) {
	n, err := l.f.Write(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	rest := p[:n]
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if len(l.partial) < maxLineLen {
				l.partial = append(l.partial, rest[:min(len(rest), maxLineLen-len(l.partial))]...)
			}
			break
		}
		line := append(l.partial, rest[:i]...)
		l.partial = nil
		l.lines = append(l.lines, string(bytes.TrimRight(line[:min(len(line), maxLineLen)], "\r")))
		if len(l.lines) > l.keep {
			l.lines = l.lines[len(l.lines)-l.keep:]
		}
		rest = rest[i+1:]
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return n, err
}

// maxLineLen bounds a kept line.
const maxLineLen = 2048

// lastLines returns the kept lines, with an unfinished last line.
func (l *logFile) lastLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.lines...)
	if len(l.partial) > 0 {
		out = append(out, string(l.partial))
	}
	if len(out) > l.keep {
		out = out[len(out)-l.keep:]
	}
	return out
}

// finish closes the file once the task's output is complete.
func (l *logFile) finish() {
	l.f.Close()
	close(l.done)
}

func (l *logFile) waitChange() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// follower reads a log file while its task runs: at the end of the file it
// waits for more output, and reports io.EOF once the task ended and
// everything was read.
type follower struct {
	ctx context.Context
	f   *os.File
	log *logFile
}

func (r *follower) Read(p []byte) (int, error) {
	for {
		wake := r.log.waitChange() // before reading: no write is missed
		n, err := r.f.Read(p)
		if n > 0 || err != io.EOF {
			return n, err
		}
		select {
		case <-r.log.done:
			n, err := r.f.Read(p) // output written just before the end
			if n > 0 {
				return n, nil
			}
			return 0, err
		case <-wake:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
}

func (r *follower) Close() error { return r.f.Close() }
