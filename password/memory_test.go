package password

import (
	"runtime"
	"testing"

	"golang.org/x/crypto/argon2"
)

// BenchmarkIDKey is a login's hash at the default parameters, two at a
// time as on two cores, with and without the collection idKey runs after
// each: what the collection costs in time, against what it saves in
// memory (see idKey).
func BenchmarkIDKey(b *testing.B) {
	password, salt := []byte("c0rrect-h0rse-battery"), []byte("0123456789abcdef")
	p := DefaultParams
	for _, bc := range []struct {
		name string
		hash func() []byte
	}{
		{"argon2", func() []byte { return argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, keyLen) }},
		{"argon2+GC", func() []byte { return idKey(password, salt, p, keyLen) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(1)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if len(bc.hash()) != keyLen {
						b.Error("short key")
					}
				}
			})
		})
	}
}

// After a hash the server's heap must not keep its working set: the next
// hash reuses those pages instead of growing the heap (see idKey).
func TestIDKeyLeavesNoWorkingSet(t *testing.T) {
	idKey([]byte("c0rrect-h0rse-battery"), []byte("0123456789abcdef"), DefaultParams, keyLen)
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if workingSet := uint64(DefaultParams.MemoryKiB) << 10; m.HeapAlloc > workingSet/2 {
		t.Errorf("heap holds %d MiB after a hash of %d MiB", m.HeapAlloc>>20, workingSet>>20)
	}
}
