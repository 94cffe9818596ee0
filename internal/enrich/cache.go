package enrich

import (
	"context"
	"errors"
	"sync"
	"time"
)

// cache holds lookup results for the life of a warm container, each for at most ttl. Keys
// name the account, the user (or key, or policy) and the kind of lookup. Concurrent requests
// for the same key share one fetch. Failures are not cached, except errNoSuchUser, which is
// a fact about the user.
type cache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	done    chan struct{}
	val     any
	err     error
	expires time.Time
}

func newCache(ttl time.Duration, max int, now func() time.Time) *cache {
	return &cache{ttl: ttl, max: max, now: now, entries: map[string]*entry{}}
}

// get returns the cached value for key, or calls fetch once (whoever asks first) and caches
// its result.
func (c *cache) get(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		select {
		case <-e.done:
			if c.now().Before(e.expires) {
				c.mu.Unlock()
				return e.val, e.err
			}
		default:
			c.mu.Unlock()
			select {
			case <-e.done:
				return e.val, e.err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	e := &entry{done: make(chan struct{})}
	c.evictLocked()
	c.entries[key] = e
	c.mu.Unlock()

	e.val, e.err = fetch(ctx)
	e.expires = c.now().Add(c.ttl)
	close(e.done)
	if e.err != nil && !errors.Is(e.err, errNoSuchUser) {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.val, e.err
}

// evictLocked keeps the cache under max entries: expired entries go first, then everything
// finished (a warm container looking up that many users is better served by a fresh start
// than by an unbounded map).
func (c *cache) evictLocked() {
	if len(c.entries) < c.max {
		return
	}
	now := c.now()
	for k, e := range c.entries {
		select {
		case <-e.done:
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		default:
		}
	}
	if len(c.entries) < c.max {
		return
	}
	for k, e := range c.entries {
		select {
		case <-e.done:
			delete(c.entries, k)
		default:
		}
	}
}
