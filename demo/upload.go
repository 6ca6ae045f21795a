package demo

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
	"sync"
	"time"
)

// uploads holds uploaded files in memory under content-addressed paths that
// the server issued ("uploads/<sha256 prefix>/<safe name>"); only these
// paths are accepted later, so inputs can never name a server file or URL.
// Bounded by total bytes (least recently used dropped first) and age.
type uploads struct {
	max   int64
	ttl   time.Duration
	now   func() time.Time
	mu    sync.Mutex
	items map[string]*upload
	lru   *list.List // front = most recent
	bytes int64
}

type upload struct {
	path, name string
	data       []byte
	at         time.Time
	elem       *list.Element
}

func newUploads(max int64, ttl time.Duration, now func() time.Time) *uploads {
	return &uploads{max: max, ttl: ttl, now: now, items: map[string]*upload{}, lru: list.New()}
}

// put stores data under a path derived from its hash and name and returns
// the path. Storing the same content and name again refreshes it.
func (u *uploads) put(name string, data []byte) string {
	sum := sha256.Sum256(data)
	name = safeName(name)
	p := "uploads/" + hex.EncodeToString(sum[:16]) + "/" + name
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.now()
	if it := u.items[p]; it != nil {
		it.at = now
		u.lru.MoveToFront(it.elem)
		return p
	}
	it := &upload{path: p, name: name, data: data, at: now}
	it.elem = u.lru.PushFront(it)
	u.items[p] = it
	u.bytes += int64(len(data))
	u.evict(now)
	return p
}

// get returns the upload issued as path p, if still held.
func (u *uploads) get(p string) (*upload, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.evict(u.now())
	it, ok := u.items[p]
	if ok {
		u.lru.MoveToFront(it.elem)
	}
	return it, ok
}

// evict drops expired uploads and the least recently used over the bound.
func (u *uploads) evict(now time.Time) {
	for el := u.lru.Back(); el != nil; {
		prev := el.Prev()
		it := el.Value.(*upload)
		if u.bytes <= u.max && now.Sub(it.at) <= u.ttl {
			break
		}
		u.lru.Remove(el)
		delete(u.items, it.path)
		u.bytes -= int64(len(it.data))
		el = prev
	}
}

// safeName keeps a file name's base with letters, digits, '.', '-' and '_'
// only (at most 100 bytes), or "blob".
func safeName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 100 {
			break
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" {
		return "blob"
	}
	return out
}
