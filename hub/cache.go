package hub

import (
	"container/list"
	"sync"
)

// objectCache is a size-bounded LRU of decoded immutable objects (git trees
// and commits) keyed by object id. Objects never change, so entries never go
// stale; only memory bounds eviction.
type objectCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // front = most recent
	items map[string]*list.Element
}

type cacheItem struct {
	key  string
	val  any
	size int
}

func newObjectCache(maxBytes int) *objectCache {
	return &objectCache{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

func (c *objectCache) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheItem).val, true
}

func (c *objectCache) add(key string, val any, size int) {
	if size > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	c.items[key] = c.order.PushFront(&cacheItem{key, val, size})
	c.size += size
	for c.size > c.max {
		el := c.order.Back()
		it := el.Value.(*cacheItem)
		c.order.Remove(el)
		delete(c.items, it.key)
		c.size -= it.size
	}
}
