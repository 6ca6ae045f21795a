package classify

import (
	"container/list"
	"context"
	"fmt"
)

// entry is one cached model. ready is closed once model or err is set;
// refs counts callers using it; an evicted entry is closed by its last user.
type entry struct {
	key     string
	ready   chan struct{}
	model   *model
	err     error
	refs    int
	evicted bool
	elem    *list.Element
}

// cache is an LRU of entries by model byte size, guarded by Classifier.mu.
type cache struct {
	entries map[string]*entry
	lru     *list.List // front = most recently used
	bytes   int64
}

func newCache() cache {
	return cache{entries: map[string]*entry{}, lru: list.New()}
}

// acquire returns the loaded model entry for key, loading it with files
// unless it is cached or being loaded by another caller (then it waits).
// The caller must release the entry.
func (c *Classifier) acquire(ctx context.Context, key string, files ModelFiles) (*entry, error) {
	c.mu.Lock()
	if e := c.cache.entries[key]; e != nil {
		e.refs++
		c.cache.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			c.release(e)
			return nil, fmt.Errorf("classify: waiting for model %s: %w", key, ctx.Err())
		}
		if e.err != nil {
			c.release(e)
			return nil, e.err
		}
		return e, nil
	}
	e := &entry{key: key, ready: make(chan struct{}), refs: 1}
	e.elem = c.cache.lru.PushFront(e)
	c.cache.entries[key] = e
	c.mu.Unlock()

	m, err := c.load(ctx, key, files)
	c.mu.Lock()
	e.model, e.err = m, err
	var victims []*entry
	if err != nil {
		c.cache.remove(e)
	} else {
		c.stats.Loads++
		c.cache.bytes += m.size
		victims = c.evict(e)
	}
	close(e.ready)
	c.mu.Unlock()
	closeAll(victims)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// evict drops least recently used loaded entries other than keep until the
// cache fits the memory bound. It returns the unused victims to close.
func (c *Classifier) evict(keep *entry) []*entry {
	var victims []*entry
	for el := c.cache.lru.Back(); el != nil && c.cache.bytes > c.opts.MaxModelBytes; {
		prev := el.Prev()
		e := el.Value.(*entry)
		if e != keep && e.model != nil {
			c.cache.remove(e)
			c.cache.bytes -= e.model.size
			c.stats.Evictions++
			e.evicted = true
			if e.refs == 0 {
				victims = append(victims, e)
			}
		}
		el = prev
	}
	return victims
}

// release ends one use of e, closing it if it was evicted meanwhile.
func (c *Classifier) release(e *entry) {
	c.mu.Lock()
	e.refs--
	last := e.evicted && e.refs == 0 && e.model != nil
	c.mu.Unlock()
	if last {
		closeAll([]*entry{e})
	}
}

// remove unlinks e from the map and the LRU list.
func (c *cache) remove(e *entry) {
	if c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
	if e.elem != nil {
		c.lru.Remove(e.elem)
		e.elem = nil
	}
}

// clear empties the cache and returns the loaded entries.
func (c *cache) clear() []*entry {
	var out []*entry
	for _, e := range c.entries {
		if e.model != nil {
			out = append(out, e)
		}
	}
	c.entries, c.lru, c.bytes = map[string]*entry{}, list.New(), 0
	return out
}

func closeAll(entries []*entry) {
	for _, e := range entries {
		_ = e.model.close() // closing a session only fails if ORT is broken; nothing to report to
	}
}
