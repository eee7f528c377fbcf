// Package jwt signs and verifies the API's JSON Web Tokens in the format of
// djangorestframework-simplejwt, with the algorithm pinned to HS256.
package jwt

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

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
	accessTTL  time.Duration
	refreshTTL time.Duration
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
	return &Signer{key: key, accessTTL: accessTTL, refreshTTL: refreshTTL}, nil
}

type claims struct {
	TokenType string `json:"token_type"`
	UserID    int64  `json:"user_id"`
	gojwt.RegisteredClaims
}

// Issue signs a new token of tokenType for userID.
func (s *Signer) Issue(tokenType string, userID int64, now time.Time) (string, healthcare.TokenClaims, error) {
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
		UserID:    userID,
		RegisteredClaims: gojwt.RegisteredClaims{
			ExpiresAt: gojwt.NewNumericDate(now.Add(ttl)),
			IssuedAt:  gojwt.NewNumericDate(now),
			ID:        hex.EncodeToString(jti[:]),
		},
	}
	signed, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", healthcare.TokenClaims{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, toDomain(c), nil
}

// Verify checks token and returns its claims, or an ETOKENINVALID error.
func (s *Signer) Verify(token, tokenType string, now time.Time) (healthcare.TokenClaims, error) {
	invalid := healthcare.Errorf(healthcare.ETOKENINVALID, healthcare.MsgTokenInvalid)
	if len(token) > MaxTokenBytes {
		return healthcare.TokenClaims{}, invalid
	}
	var c claims
	_, err := gojwt.ParseWithClaims(token, &c, func(*gojwt.Token) (any, error) { return s.key, nil },
		gojwt.WithValidMethods([]string{gojwt.SigningMethodHS256.Alg()}),
		gojwt.WithExpirationRequired(),
		gojwt.WithIssuedAt(),
		gojwt.WithLeeway(Leeway),
		gojwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil || c.TokenType != tokenType || c.UserID <= 0 || c.ID == "" {
		return healthcare.TokenClaims{}, invalid
	}
	return toDomain(c), nil
}

func toDomain(c claims) healthcare.TokenClaims {
	out := healthcare.TokenClaims{Type: c.TokenType, UserID: c.UserID, ID: c.ID}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out
}
