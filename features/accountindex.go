package features

import "strings"

// accountIndex numbers account IDs in order of first appearance, for the
// passes that read a snapshot file row by row. Exports list accounts in
// the same order every week (or all of an account's weeks together), so
// the account that followed the previous row's account last time
// predicts the next row's, and a comparison of two strings spares a hash
// lookup on most rows: at a million accounts the map no longer fits in
// the CPU's caches, and a lookup per row cost validate 17 times its
// 100k-account time for 10 times the rows.
type accountIndex struct {
	index map[string]int32
	ids   []string // by number
	// follows[a] is the account whose row came after account a's last
	// time, -1 before one did.
	follows []int32
	prev    int32 // the previous row's account, -1 before the first row
}

func newAccountIndex() *accountIndex {
	return &accountIndex{index: make(map[string]int32), prev: -1}
}

// find returns id's number and whether id was seen before; an unseen id
// gets the next number, and a copy of it is kept (readers may share one
// buffer between rows).
func (x *accountIndex) find(id string) (a int32, seen bool) {
	switch p := x.prev; {
	case p >= 0 && x.follows[p] >= 0 && x.ids[x.follows[p]] == id:
		a, seen = x.follows[p], true
	case p >= 0 && x.ids[p] == id:
		a, seen = p, true
	default:
		a, seen = x.index[id]
	}
	if !seen {
		a = int32(len(x.ids))
		id = strings.Clone(id)
		x.index[id] = a
		x.ids = append(x.ids, id)
		x.follows = append(x.follows, -1)
	}
	if x.prev >= 0 {
		x.follows[x.prev] = a
	}
	x.prev = a
	return a, seen
}
