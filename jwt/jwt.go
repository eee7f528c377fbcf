// Package jwt signs and verifies the API's JSON Web Tokens in the format of
// djangorestframework-simplejwt, with the algorithm pinned to HS256.
package jwt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/clinicapi/healthcare"
)

// MaxTokenBytes bounds what Verify will parse; real tokens are ~250 bytes.
const MaxTokenBytes = 4096

// Leeway is the clock skew allowed on exp and iat (RFC 8725 asks for little).
const Leeway = 30 * time.Second

// Signer issues and verifies tokens with HMAC-SHA256.
type Signer struct {
	key        []byte
	kid        string
	accessTTL  time.Duration
	refreshTTL time.Duration
	// keys are every key that verifies, by key id: the signing key and the
	// fallbacks that rotation left behind.
	keys map[string][]byte
	all  []gojwt.VerificationKey
	// verified remembers access tokens already checked (see Verify).
	verified verifiedCache
}

var _ healthcare.TokenIssuer = (*Signer)(nil)

// NewSigner returns a Signer for key with the given token lifetimes.
func NewSigner(key []byte, accessTTL, refreshTTL time.Duration) (*Signer, error) {
	if len(key) == 0 {
		return nil, errors.New("jwt: empty signing key")
	}
	if accessTTL <= 0 || refreshTTL <= 0 {
		return nil, errors.New("jwt: token lifetimes must be positive")
	}
	s := &Signer{key: key, kid: keyID(key), accessTTL: accessTTL, refreshTTL: refreshTTL}
	s.SetFallbackKeys()
	return s, nil
}

// SetFallbackKeys sets old keys that still verify tokens but never sign,
// as Django's SECRET_KEY_FALLBACKS: rotate the key without logging everyone
// out, then drop the old one once its tokens have expired.
func (s *Signer) SetFallbackKeys(keys ...[]byte) {
	s.verified.clear() // what verified under the old set may not now
	s.keys = map[string][]byte{s.kid: s.key}
	s.all = []gojwt.VerificationKey{s.key}
	for _, k := range keys {
		if len(k) > 0 {
			s.keys[keyID(k)] = k
			s.all = append(s.all, k)
		}
	}
}

// keyID names a key in a token's kid header without revealing anything of it.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("healthcare jwt kid\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// verificationKey picks the key for a token: the one its kid names, and
// only from the configured set; without a kid (a token signed elsewhere
// with the same SECRET_KEY, say), each configured key in turn.
func (s *Signer) verificationKey(t *gojwt.Token) (any, error) {
	raw, ok := t.Header["kid"]
	if !ok {
		return gojwt.VerificationKeySet{Keys: s.all}, nil
	}
	kid, _ := raw.(string)
	key, ok := s.keys[kid]
	if !ok {
		return nil, errors.New("unknown kid")
	}
	return key, nil
}

// claims are a token's claims in simplejwt's order. The times are
// numericDates: gojwt's NumericDate also takes a string holding a number,
// which RFC 7519 does not allow.
type claims struct {
	TokenType string       `json:"token_type"`
	ExpiresAt *numericDate `json:"exp,omitempty"`
	IssuedAt  *numericDate `json:"iat,omitempty"`
	NotBefore *numericDate `json:"nbf,omitempty"`
	ID        string       `json:"jti,omitempty"`
	UserID    int64        `json:"user_id"`
	// Version is the user's credentials version at issue, ours alone:
	// simplejwt's tokens have none, which reads as 0.
	Version int64 `json:"ver,omitempty"`
}

var _ gojwt.Claims = claims{}

func (c claims) GetExpirationTime() (*gojwt.NumericDate, error) { return c.ExpiresAt.date(), nil }
func (c claims) GetIssuedAt() (*gojwt.NumericDate, error)       { return c.IssuedAt.date(), nil }
func (c claims) GetNotBefore() (*gojwt.NumericDate, error)      { return c.NotBefore.date(), nil }
func (c claims) GetIssuer() (string, error)                     { return "", nil }
func (c claims) GetSubject() (string, error)                    { return "", nil }
func (c claims) GetAudience() (gojwt.ClaimStrings, error)       { return nil, nil }

// numericDate is a NumericDate of RFC 7519: a JSON number of seconds since
// the epoch, never a string.
type numericDate struct{ gojwt.NumericDate }

func newNumericDate(t time.Time) *numericDate { return &numericDate{*gojwt.NewNumericDate(t)} }

var errNotNumericDate = errors.New("jwt: a NumericDate must be a JSON number")

// maxNumericDate is the year 5138: any later date is a forgery, and past
// 2^63 nanoseconds a time.Time would wrap round.
const maxNumericDate = 1e11

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errNotNumericDate
	}
	if v, err := strconv.ParseFloat(string(b), 64); err != nil || v < 0 || v > maxNumericDate {
		return errNotNumericDate
	}
	return d.NumericDate.UnmarshalJSON(b)
}

func (d *numericDate) date() *gojwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
}

// Issue signs a new token of tokenType for userID.
func (s *Signer) Issue(tokenType string, userID, version int64, now time.Time) (string, healthcare.TokenClaims, error) {
	var ttl time.Duration
	switch tokenType {
	case healthcare.AccessToken:
		ttl = s.accessTTL
	case healthcare.RefreshToken:
		ttl = s.refreshTTL
	default:
		return "", healthcare.TokenClaims{}, fmt.Errorf("jwt: unknown token type %q", tokenType)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", healthcare.TokenClaims{}, fmt.Errorf("read jti: %w", err)
	}
	c := claims{
		TokenType: tokenType,
		ExpiresAt: newNumericDate(now.Add(ttl)),
		IssuedAt:  newNumericDate(now),
		ID:        hex.EncodeToString(jti[:]),
		UserID:    userID,
		Version:   version,
	}
	t := gojwt.NewWithClaims(gojwt.SigningMethodHS256, c)
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		return "", healthcare.TokenClaims{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, toDomain(c), nil
}

// Verify checks token and returns its claims, or an ETOKENINVALID error.
// An access token that verified before is found in the cache of verified
// tokens; its expiry and issue time are checked again on every use.
func (s *Signer) Verify(token, tokenType string, now time.Time) (healthcare.TokenClaims, error) {
	if len(token) > MaxTokenBytes {
		return healthcare.TokenClaims{}, errInvalid()
	}
	if tokenType != healthcare.AccessToken {
		return s.verify(token, tokenType, now)
	}
	sum := sha256.Sum256([]byte(token))
	if c, ok := s.verified.get(sum); ok {
		if !timely(c, now) {
			return healthcare.TokenClaims{}, errInvalid()
		}
		return c, nil
	}
	c, err := s.verify(token, tokenType, now)
	if err == nil {
		s.verified.put(sum, c)
	}
	return c, err
}

// verify parses token and checks its signature and claims.
func (s *Signer) verify(token, tokenType string, now time.Time) (healthcare.TokenClaims, error) {
	var c claims
	t, err := gojwt.ParseWithClaims(token, &c, s.verificationKey,
		gojwt.WithValidMethods([]string{gojwt.SigningMethodHS256.Alg()}),
		// One token, one spelling: a refresh token is recorded by its string.
		gojwt.WithStrictDecoding(),
		gojwt.WithExpirationRequired(),
		gojwt.WithIssuedAt(),
		gojwt.WithLeeway(Leeway),
		gojwt.WithTimeFunc(func() time.Time { return now }),
	)
	// Tokens with nbf (not ours) are refused: the cache could not honour
	// it. So are tokens with critical header extensions, none of which we
	// know (RFC 7515 §4.1.11), and claims that are not valid UTF-8.
	if err != nil || c.NotBefore != nil || t.Header["crit"] != nil || !validPayload(token) {
		return healthcare.TokenClaims{}, errInvalid()
	}
	// simplejwt's checks, in its order and with its reasons.
	switch {
	case c.ID == "":
		return healthcare.TokenClaims{}, errInvalidBecause(healthcare.MsgTokenNoID)
	case c.TokenType == "":
		return healthcare.TokenClaims{}, errInvalidBecause(healthcare.MsgTokenNoType)
	case c.TokenType != tokenType:
		return healthcare.TokenClaims{}, errInvalidBecause(healthcare.MsgTokenWrongType)
	case c.UserID <= 0:
		return healthcare.TokenClaims{}, errInvalidBecause(healthcare.MsgTokenNoUser)
	}
	out := toDomain(c)
	_, named := t.Header["kid"]
	out.Foreign = !named
	return out, nil
}

// validPayload reports whether the claims of a parsed token are UTF-8.
func validPayload(token string) bool {
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	return err == nil && utf8.Valid(raw)
}

func errInvalid() error { return errInvalidBecause(healthcare.MsgTokenInvalid) }

// errInvalidBecause is ETOKENINVALID with simplejwt's reason as message.
func errInvalidBecause(reason string) error {
	return healthcare.Errorf(healthcare.ETOKENINVALID, "%s", reason)
}

// timely repeats the time checks of verify, with the same leeway.
func timely(c healthcare.TokenClaims, now time.Time) bool {
	return now.Before(c.ExpiresAt.Add(Leeway)) && !now.Add(Leeway).Before(c.IssuedAt)
}

func toDomain(c claims) healthcare.TokenClaims {
	out := healthcare.TokenClaims{Type: c.TokenType, UserID: c.UserID, ID: c.ID, Version: c.Version}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out
}
