package jwt

import (
	"sync"

	"github.com/clinicapi/healthcare"
)

// maxVerified bounds the cache of verified tokens: under 1 MiB.
const maxVerified = 4096

// verifiedCache holds the claims of access tokens whose signature and
// claims have been checked, keyed by the token's SHA-256. A client sends
// the same access token with every request for its lifetime; looking it up
// costs a hash instead of a parse and an HMAC, about a tenth of a request's
// CPU. The key is a digest, not the token, so a lookup's timing says
// nothing about any token's bytes. Only tokens that verified get in, so
// forged ones cannot crowd it; when it is full it starts again.
type verifiedCache struct {
	mu sync.RWMutex
	m  map[[32]byte]healthcare.TokenClaims
}

func (v *verifiedCache) get(sum [32]byte) (healthcare.TokenClaims, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	c, ok := v.m[sum]
	return c, ok
}

func (v *verifiedCache) put(sum [32]byte, c healthcare.TokenClaims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerified {
		v.m = make(map[[32]byte]healthcare.TokenClaims, 256)
	}
	v.m[sum] = c
}

func (v *verifiedCache) clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m = nil
}
