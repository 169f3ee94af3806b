package xmlstream

import (
	"strconv"
	"sync"
	"testing"
)

func TestInternerBounds(t *testing.T) {
	cases := []struct {
		name                 string
		maxStrings, maxBytes int
		maxLen               int
		add                  []string
		wantLen              int
	}{
		{"entries", 3, 1 << 10, 16, []string{"a", "b", "c", "d", "a"}, 3},
		{"bytes", 100, 5, 16, []string{"aa", "bb", "cc"}, 2},
		{"length", 100, 1 << 10, 3, []string{"abcd", "abc"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := NewInterner(c.maxStrings, c.maxBytes, c.maxLen)
			for _, s := range c.add {
				if got := in.Intern([]byte(s)); got != s {
					t.Fatalf("Intern(%q) = %q", s, got)
				}
			}
			if in.Len() != c.wantLen {
				t.Fatalf("%d strings in the table, want %d", in.Len(), c.wantLen)
			}
		})
	}
}

// A string in the table costs no allocation; one beyond the bound costs
// exactly its copy.
func TestInternerAllocations(t *testing.T) {
	in := NewInterner(1, 1<<10, 64)
	known, unknown := []byte("known"), []byte("unknown")
	in.Intern(known)
	if n := testing.AllocsPerRun(100, func() { in.Intern(known) }); n != 0 {
		t.Fatalf("interned: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { in.Intern(unknown) }); n != 1 {
		t.Fatalf("beyond the bound: %v allocations", n)
	}
	for i := 0; i < 10; i++ {
		in.Intern([]byte(strconv.Itoa(i)))
	}
	if in.Len() != 1 {
		t.Fatalf("table grew to %d", in.Len())
	}
}

// Adds from many goroutines stop at the bound, a string Add accepted is
// found by Lookup at once, and a full table refuses the next string.
func TestInternerConcurrentAdd(t *testing.T) {
	in := NewInterner(64, 1<<10, 128)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 64 {
				s := "n" + strconv.Itoa(g) + "_" + strconv.Itoa(i)
				if in.Add(s) {
					if got, ok := in.Lookup([]byte(s)); !ok || got != s {
						t.Errorf("Lookup(%q) = %q, %v after Add", s, got, ok)
					}
				}
			}
		})
	}
	wg.Wait()
	if in.Len() != 64 {
		t.Errorf("table holds %d strings, bound 64", in.Len())
	}
	if in.Add("one-more") {
		t.Error("a full table accepted a string")
	}
}
