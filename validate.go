package healthcare

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest email address accepted (RFC 5321 path limit).
const MaxEmailLength = 254

func maxLengthMsg(n int) string {
	return fmt.Sprintf("Ensure this field has no more than %d characters.", n)
}

// checkName records a problem with a required, bounded name-like value.
func checkName(errs FieldErrors, field, v string, max int) {
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		errs.Add(field, MsgBlank)
	case n > max:
		errs.Add(field, maxLengthMsg(max))
	}
}

// checkOptional records a problem with an optional, bounded value.
func checkOptional(errs FieldErrors, field, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		errs.Add(field, maxLengthMsg(max))
	}
}

var emailLocalPart = regexp.MustCompile(`^[-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Za-z]+(\.[-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Za-z]+)*$`)
var emailDomain = regexp.MustCompile(`^((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+)(?:[A-Za-z0-9-]{2,63})$`)

// checkEmail records a problem with a required email address.
func checkEmail(errs FieldErrors, field, v string) {
	if v == "" {
		errs.Add(field, MsgBlank)
		return
	}
	if utf8.RuneCountInString(v) > MaxEmailLength {
		errs.Add(field, maxLengthMsg(MaxEmailLength))
		return
	}
	if !ValidEmail(v) {
		errs.Add(field, MsgInvalidEmail)
	}
}

// ValidEmail reports whether v is a plain address such as "a@example.com",
// with the rules of Django's EmailValidator (dot-atom local part, a domain
// with a dot or "localhost").
func ValidEmail(v string) bool {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return false
	}
	local, domain := v[:at], v[at+1:]
	if !emailLocalPart.MatchString(local) {
		return false
	}
	if domain != "localhost" && !emailDomain.MatchString(domain) {
		return false
	}
	addr, err := mail.ParseAddress(v)
	return err == nil && addr.Address == v
}

// NormalizeEmail lower-cases the domain of an address, as Django's
// UserManager.normalize_email does; the local part may be case-sensitive.
func NormalizeEmail(v string) string {
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return v
	}
	return v[:at+1] + strings.ToLower(v[at+1:])
}

// Fold returns the key under which two spellings of one identifier are
// equal, as Unicode recommends for caseless matching of identifiers
// (NFKC, full case folding, NFKC again): "STRASSE" and "straße", "ﬁlip"
// and "FILIP", "ΣΊΣΥΦΟΣ" and "Σίσυφος" each have one key. Stores keep it
// in key columns with a plain UNIQUE, since neither engine can be trusted
// to fold (SQLite's lower() knows only ASCII).
func Fold(v string) string {
	if k, ok := foldASCII(v); ok {
		return k
	}
	return foldUnicode(v)
}

func foldUnicode(v string) string {
	return norm.NFKC.String(strings.Map(cherokeeCapital, folder.String(norm.NFKC.String(v))))
}

// foldASCII is Fold of a string of ASCII only, where NFKC changes nothing
// and case folding maps A-Z to a-z alone: most names and emails, folded a
// few times faster (an import folds millions).
func foldASCII(v string) (string, bool) {
	upper := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return "", false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if !upper {
		return v, true
	}
	return strings.ToLower(v), true
}

// cherokeeCapital undoes x/text's folding of Cherokee capitals to small
// letters: Unicode folds Cherokee the other way (CaseFolding.txt, for
// stability), and x/text folds each form to the other, so that folding
// a key again would change it.
func cherokeeCapital(r rune) rune {
	switch {
	case r >= 0xAB70 && r <= 0xABBF:
		return r - 0xAB70 + 0x13A0
	case r >= 0x13F8 && r <= 0x13FD:
		return r - 8
	}
	return r
}

// folder is x/text's full case folding, stateless and safe to share.
var folder = cases.Fold()

// SearchKey joins the searchable values of a row into one folded column.
// The separator keeps a search term from matching across two fields, and
// queries count separators to tell the fields apart, so a value's own
// information separators (U+001C–U+001F, which no search term holds: they
// split terms as white space does) become spaces.
func SearchKey(values ...string) string {
	clean := make([]string, len(values))
	for i, v := range values {
		clean[i] = strings.Map(func(r rune) rune {
			if r >= 0x1c && r <= 0x1f {
				return ' '
			}
			return r
		}, v)
	}
	return Fold(strings.Join(clean, "\x1f"))
}

// Visible returns s without what does not show on its own: whitespace and
// blanks, controls, format and default-ignorable code points (zero-width
// spaces, joiners, variation selectors), combining marks and modifiers
// such as skin tones.
func Visible(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) || blank(r) ||
			unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector,
				unicode.Mn, unicode.Me, unicode.Sk) {
			return -1
		}
		return r
	}, s)
}

// blank reports the letters and symbols Unicode draws as nothing: the
// Braille blank and the Hangul fillers.
func blank(r rune) bool {
	switch r {
	case 0x2800, 0x115F, 0x1160, 0x3164, 0xFFA0:
		return true
	}
	return false
}
