package features

import (
	"fmt"
	"strconv"
	"strings"
)

// Partition is part Index of Count disjoint parts of the accounts, so
// that a very large book can be scored by Count jobs that each read the
// whole file and build only their own accounts.
//
// An account belongs to part i (1-based, like "part 2 of 3") when the
// 64-bit FNV-1a hash of its id's UTF-8 bytes, modulo Count, is i-1. FNV-1a
// is a fixed, published function (hash/fnv implements it, no seed), so the
// parts are the same on every run, machine and Go version, and any other
// tool can compute them. The zero Partition keeps every account.
type Partition struct {
	Index, Count int
}

// ParsePartition reads "i/N", 1 <= i <= N.
func ParsePartition(s string) (Partition, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Partition{}, fmt.Errorf("partition %q: want i/N, part i of N (1 <= i <= N), such as 2/8", s)
	}
	p := Partition{}
	var err error
	if p.Index, err = strconv.Atoi(strings.TrimSpace(i)); err != nil {
		return Partition{}, fmt.Errorf("partition %q: part %q is not a whole number: want i/N, such as 2/8", s, i)
	}
	if p.Count, err = strconv.Atoi(strings.TrimSpace(n)); err != nil {
		return Partition{}, fmt.Errorf("partition %q: count %q is not a whole number: want i/N, such as 2/8", s, n)
	}
	if p.Count < 1 {
		return Partition{}, fmt.Errorf("partition %q: want at least 1 part, not %d", s, p.Count)
	}
	if p.Index < 1 || p.Index > p.Count {
		return Partition{}, fmt.Errorf("partition %q: parts are numbered 1 to %d, not %d", s, p.Count, p.Index)
	}
	return p, nil
}

// Keeps reports whether the account is in the partition.
func (p Partition) Keeps(accountID string) bool {
	if p.Count <= 1 {
		return true
	}
	return fnv1a(accountID)%uint64(p.Count) == uint64(p.Index-1)
}

// fnv1a is hash/fnv's New64a over s, without its allocations: Build
// calls it on every row.
func fnv1a(s string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}

// String returns "i/N", or "" for the zero Partition.
func (p Partition) String() string {
	if p.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", p.Index, p.Count)
}
