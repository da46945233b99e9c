package store

// twoGen is a bounded cache in two generations: when the young one holds
// its bound it becomes the old one (the previous old one is dropped), and
// an old entry used again is copied to the young one. So what was used
// since the last turnover stays, and at most twice the bound is held.
type twoGen[K comparable, V any] struct {
	young, old map[K]V
}

// get returns a cached value, copying it to the young generation if it
// was found in the old one.
func (g *twoGen[K, V]) get(k K, bound int) (V, bool) {
	if v, ok := g.young[k]; ok {
		return v, true
	}
	v, ok := g.old[k]
	if ok {
		g.put(k, v, bound)
	}
	return v, ok
}

// peek returns a cached value without moving it.
func (g *twoGen[K, V]) peek(k K) (V, bool) {
	if v, ok := g.young[k]; ok {
		return v, true
	}
	v, ok := g.old[k]
	return v, ok
}

func (g *twoGen[K, V]) put(k K, v V, bound int) {
	if g.young == nil || len(g.young) >= bound {
		g.old = g.young
		g.young = make(map[K]V, bound)
	}
	g.young[k] = v
}

func (g *twoGen[K, V]) remove(k K) {
	delete(g.young, k)
	delete(g.old, k)
}

// each calls f for every cached value, in both generations.
func (g *twoGen[K, V]) each(f func(K, V)) {
	for _, gen := range []map[K]V{g.young, g.old} {
		for k, v := range gen {
			f(k, v)
		}
	}
}

func (g *twoGen[K, V]) reset() { g.young, g.old = nil, nil }
