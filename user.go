package healthcare

import (
	"context"
	"regexp"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Bounds of the user fields, as Django's auth.User has them.
const (
	MaxUsernameLength   = 150
	MaxPersonNameLength = 150  // an account's first and last names
	MaxPasswordLength   = 1024 // characters
	// MaxLoginNameBytes bounds a login name that can be any account's: a
	// username of 150 characters, typed decomposed (up to 4 code points of
	// 4 bytes each for one character); an email is shorter.
	MaxLoginNameBytes = 16 * MaxUsernameLength
)

// User is an account that can log in and own patients.
type User struct {
	ID           int64
	Username     string
	Email        string
	FirstName    string
	LastName     string
	IsActive     bool
	IsStaff      bool
	DateJoined   time.Time
	PasswordHash string
	// PasswordChangedAt is zero until the first change.
	PasswordChangedAt time.Time
	// CredentialsVersion goes up with every change that must end the
	// account's sessions (a new password); a token carries the version it
	// was issued under and is refused once it is not the current one.
	CredentialsVersion int64
}

// Registration is what a new account is made from.
type Registration struct {
	Username  string
	Email     string
	Password  string
	FirstName string
	LastName  string
}

var usernamePattern = regexp.MustCompile(`^[\p{L}\p{N}_.@+-]+$`)

// MsgUsernameInvalid is Django's message for a username with other characters.
const MsgUsernameInvalid = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."

// Validate reports the problems with the registration's fields other than
// the password policy, which PasswordPolicy checks, and puts the valid
// names in the form they are stored in: the username in NFKC, as Django's
// normalize_username does ("ﬁlip" is "filip"), and the email's domain in
// lower case, as its normalize_email does. Lengths are checked first, so
// that a huge value costs no more than counting it.
func (r *Registration) Validate() FieldErrors {
	errs := FieldErrors{}
	checkUsername(errs, r.Username)
	if len(errs["username"]) == 0 {
		r.Username = norm.NFKC.String(r.Username)
		checkUsername(errs, r.Username) // "ﷺ" is 18 characters, some of them spaces
	}
	checkEmail(errs, "email", r.Email)
	if len(errs["email"]) == 0 {
		r.Email = NormalizeEmail(r.Email)
	}
	checkOptional(errs, "first_name", r.FirstName, MaxPersonNameLength)
	checkOptional(errs, "last_name", r.LastName, MaxPersonNameLength)
	if r.Password == "" {
		errs.Add("password", MsgBlank)
	}
	return errs
}

func checkUsername(errs FieldErrors, v string) {
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		errs.Add("username", MsgBlank)
	case n > MaxUsernameLength:
		errs.Add("username", maxLengthMsg(MaxUsernameLength))
	case !usernamePattern.MatchString(v):
		errs.Add("username", MsgUsernameInvalid)
	}
}

// TokenPair is what a login or a refresh hands out.
type TokenPair struct {
	Access  string
	Refresh string
}

// AuthService registers accounts and issues, rotates and revokes tokens.
type AuthService interface {
	// Register creates an account. EINVALID lists every problem by field,
	// including a username or email already taken.
	Register(ctx context.Context, r Registration) (*User, error)
	// Login checks the credentials (username or email) and issues a pair.
	// ENOACTIVEACCOUNT if they do not match an active account.
	Login(ctx context.Context, username, password string) (*TokenPair, error)
	// Refresh rotates a refresh token. ETOKENINVALID if it is not a valid,
	// unrevoked refresh token; a revoked one revokes its whole family.
	Refresh(ctx context.Context, refresh string) (*TokenPair, error)
	// Logout revokes the family of a refresh token. ETOKENINVALID if invalid.
	Logout(ctx context.Context, refresh string) error
	// Authenticate returns the active user an access token belongs to.
	// ETOKENINVALID (with simplejwt's reason as message) for a token that is
	// not a valid access token or was issued before the user's last password
	// change; EUSERNOTFOUND, EUSERINACTIVE for a valid token of an account
	// that is gone or deactivated.
	Authenticate(ctx context.Context, access string) (*User, error)
	// ChangePassword sets the caller's password and revokes every refresh
	// token of the caller. EINVALID under "old_password" or "new_password".
	ChangePassword(ctx context.Context, oldPassword, newPassword string) error
}

// PasswordHasher hashes and checks passwords.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches hash, in constant time.
	Verify(hash, password string) (bool, error)
	// VerifyDummy spends the time of a Verify, for unknown accounts.
	VerifyDummy(password string) error
	// NeedsRehash reports whether a hash should be replaced by a new one
	// at the next successful login: one imported from Django, or made
	// with other costs.
	NeedsRehash(hash string) bool
}

// PasswordPolicy lists what is wrong with a password for an account.
type PasswordPolicy interface {
	Check(password string, r Registration) []string
}

// Token types, as simplejwt names them in the token_type claim.
const (
	AccessToken  = "access"
	RefreshToken = "refresh"
)

// TokenClaims are the claims of an issued token.
type TokenClaims struct {
	Type      string
	UserID    int64
	Version   int64  // the user's CredentialsVersion when issued; 0 in simplejwt's
	ID        string // jti
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Foreign is a token signed with a shared key but not here: it names
	// no key (simplejwt's, issued by the Django design being replaced).
	Foreign bool
}

// TokenIssuer signs and verifies tokens.
type TokenIssuer interface {
	Issue(tokenType string, userID, version int64, now time.Time) (string, TokenClaims, error)
	// Verify checks signature, algorithm, expiry and type. ETOKENINVALID otherwise.
	Verify(token, tokenType string, now time.Time) (TokenClaims, error)
}
