package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/clinicapi/healthcare"
)

// commonPasswords is Django's list of 20,000 common passwords merged with
// Openwall's john password.lst, lower-cased; see the README for its origin.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// MinLength is the shortest password accepted.
const MinLength = 8

// maxSimilarity is Django's UserAttributeSimilarityValidator default.
const maxSimilarity = 0.7

// Policy checks passwords with the rules of Django's default validators.
type Policy struct {
	common map[string]struct{}
}

// NewPolicy loads the embedded common-password list.
func NewPolicy() (*Policy, error) {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		return nil, fmt.Errorf("open common passwords: %w", err)
	}
	common := make(map[string]struct{}, 21000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			common[w] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read common passwords: %w", err)
	}
	return &Policy{common: common}, nil
}

// Len is the number of common passwords known.
func (p *Policy) Len() int { return len(p.common) }

// Check returns a message for every rule password breaks.
func (p *Policy) Check(password string, r healthcare.Registration) []string {
	if utf8.RuneCountInString(password) > healthcare.MaxPasswordLength {
		return []string{fmt.Sprintf("Ensure this field has no more than %d characters.", healthcare.MaxPasswordLength)}
	}
	var msgs []string
	attrs := []struct{ value, name string }{
		{r.Username, "username"}, {r.FirstName, "first name"}, {r.LastName, "last name"}, {r.Email, "email address"},
	}
	for _, a := range attrs {
		if tooSimilar(password, a.value) {
			msgs = append(msgs, "The password is too similar to the "+a.name+".")
			break
		}
	}
	if visibleLength(password) < MinLength {
		msgs = append(msgs, fmt.Sprintf("This password is too short. It must contain at least %d characters.", MinLength))
	}
	if p.isCommon(password) {
		msgs = append(msgs, "This password is too common.")
	}
	if isNumeric(password) {
		msgs = append(msgs, "This password is entirely numeric.")
	}
	return msgs
}

// isCommon reports whether password is on the list as typed (lower-cased
// and trimmed, as Django compares) or once what does not show is taken
// out: "Ｐａｓｓｗｏｒｄ", or "password" and a zero-width space, is "password".
func (p *Policy) isCommon(password string) bool {
	if _, ok := p.common[strings.ToLower(strings.TrimSpace(password))]; ok {
		return true
	}
	_, ok := p.common[strings.ToLower(healthcare.Visible(norm.NFKC.String(password)))]
	return ok
}

// visibleLength counts the characters of a password that show, as NIST SP
// 800-63B's guidance on normalisation intends: twelve spaces, or four
// characters padded with zero-width spaces or combining marks, are no
// eight-character password. It is the lesser of the count as typed and
// after NFKC, so that one character that expands ("ﷺ" is 18 under NFKC)
// counts as one. Spaces inside a passphrase are kept; they do not count.
func visibleLength(password string) int {
	return min(utf8.RuneCountInString(healthcare.Visible(password)), utf8.RuneCountInString(healthcare.Visible(norm.NFKC.String(password))))
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		// Any script's digits, as Python's str.isdigit() in Django's check.
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

var nonWord = regexp.MustCompile(`\W+`)

// tooSimilar follows Django's UserAttributeSimilarityValidator: the value
// and each of its word parts are compared with difflib's quick_ratio.
func tooSimilar(password, value string) bool {
	if value == "" {
		return false
	}
	password = strings.ToLower(password)
	value = strings.ToLower(value)
	parts := append(nonWord.Split(value, -1), value)
	for _, part := range parts {
		if exceedsMaxLengthRatio(password, part) {
			continue
		}
		if quickRatio(password, part) >= maxSimilarity {
			return true
		}
	}
	return false
}

func exceedsMaxLengthRatio(password, value string) bool {
	pwdLen := float64(utf8.RuneCountInString(password))
	valueLen := float64(utf8.RuneCountInString(value))
	return pwdLen >= 10*valueLen && valueLen < maxSimilarity/2*pwdLen
}

// quickRatio is difflib.SequenceMatcher.quick_ratio: an upper bound on the
// similarity from the characters the two strings share, in any order.
func quickRatio(a, b string) float64 {
	total := utf8.RuneCountInString(a) + utf8.RuneCountInString(b)
	if total == 0 {
		return 1
	}
	avail := map[rune]int{}
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			avail[r]--
			matches++
		}
	}
	return 2 * float64(matches) / float64(total)
}
