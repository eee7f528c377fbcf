package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/clinicapi/healthcare"
)

// tokenHash is what the database keeps of a refresh token: enough to
// recognise it, useless to anyone who reads the table.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// #nosec G101 -- SQL naming a column, not a credential.
const insertRefreshTokenSQL = `INSERT INTO refresh_tokens (token_hash, family, user_id, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5)`

func insertRefreshToken(ctx context.Context, tx handle, token, family string, c healthcare.TokenClaims, now time.Time) error {
	_, err := tx.exec(ctx, insertRefreshTokenSQL, tokenHash(token), family, c.UserID, now, c.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	return nil
}

// The UPDATE is the atomic step of a rotation: of two concurrent refreshes
// of one token, exactly one changes the row.
const revokeRefreshTokenSQL = `UPDATE refresh_tokens SET revoked_at = $1
WHERE token_hash = $2 AND revoked_at IS NULL RETURNING family`

// revokeRefreshToken revokes an active token and returns its family, or ""
// when the token is unknown or already revoked.
func revokeRefreshToken(ctx context.Context, tx handle, token string, now time.Time) (string, error) {
	var family string
	err := tx.queryRow(ctx, revokeRefreshTokenSQL, now, tokenHash(token)).Scan(&family)
	if isNoRows(err) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("revoke refresh token: %w", err)
	}
	return family, nil
}

const findRefreshFamilySQL = `SELECT family FROM refresh_tokens WHERE token_hash = $1`

// findRefreshFamily returns the family of a recorded token, or "".
func findRefreshFamily(ctx context.Context, tx handle, token string) (string, error) {
	var family string
	err := tx.queryRow(ctx, findRefreshFamilySQL, tokenHash(token)).Scan(&family)
	if isNoRows(err) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("find refresh token: %w", err)
	}
	return family, nil
}

const revokeFamilySQL = `UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL`

func revokeFamily(ctx context.Context, tx handle, family string, now time.Time) error {
	if _, err := tx.exec(ctx, revokeFamilySQL, now, family); err != nil {
		return fmt.Errorf("revoke token family: %w", err)
	}
	return nil
}

// #nosec G101 -- SQL naming a column, not a credential.
const insertForeignRefreshTokenSQL = `INSERT INTO refresh_tokens (token_hash, family, user_id, created_at, expires_at, revoked_at)
VALUES ($1, $2, $3, $4, $5, $4) ON CONFLICT (token_hash) DO NOTHING RETURNING family`

// takeForeignRefreshToken records a refresh token issued elsewhere (by the
// Django design) as used, in a new family, and returns the family; "" if
// a concurrent refresh recorded it first.
func takeForeignRefreshToken(ctx context.Context, tx handle, token string, c healthcare.TokenClaims, now time.Time) (string, error) {
	family, err := newFamily()
	if err != nil {
		return "", err
	}
	err = tx.queryRow(ctx, insertForeignRefreshTokenSQL, tokenHash(token), family, c.UserID, now, c.ExpiresAt.UTC()).Scan(&family)
	if isNoRows(err) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("record foreign refresh token: %w", err)
	}
	return family, nil
}
