package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/clinicapi/healthcare"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// decodeObject reads a request body, keeping only the fields named in
// keys, as DRF's default parsers do: a JSON object, a form, or a
// multipart form (files aside). Fields other than keys are skipped, never
// held, so a body costs about its size however many fields it has, and
// "OWNER" or "Id" can never reach a field: names match exactly. A
// repeated field keeps its last value, as Python's json module and
// Django's QueryDict do. Invalid UTF-8 is a parse error, never replaced.
const maxContentTypeBytes = 256

func decodeObject(w http.ResponseWriter, r *http.Request, keys ...string) (*object, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge()
	}
	o := &object{raw: make(map[string]jsontext.Value, len(keys)), errs: healthcare.FieldErrors{}}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return o, nil // no body at all: DRF's empty data
	}
	// Parsing a media type copies it; one longer than any real client's
	// (a multipart boundary is at most 70 bytes) is unsupported unread.
	var mt string
	var params map[string]string
	if len(ct) <= maxContentTypeBytes {
		var err error
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			mt = ""
		}
	}
	switch mt {
	case "application/json":
		body, err := readBody(w, r)
		if err != nil {
			return nil, err
		}
		return o, o.readJSON(body, keys)
	case "application/x-www-form-urlencoded":
		body, err := readBody(w, r)
		if err != nil {
			return nil, err
		}
		return o, o.readForm(body, keys)
	case "multipart/form-data":
		return o, o.readMultipart(http.MaxBytesReader(w, r.Body, MaxBodyBytes), params["boundary"], keys)
	}
	return nil, httpError(eUnsupportedMedia, fmt.Sprintf("Unsupported media type %q in request.", ct))
}

// readJSON walks a JSON object, keeping the members named in keys, each
// as its raw JSON.
func (o *object) readJSON(body []byte, keys []string) error {
	// Over a bytes.Buffer the decoder reads the body in place.
	dec := jsontext.NewDecoder(bytes.NewBuffer(body),
		jsontext.AllowDuplicateNames(true)) // no set of every name seen
	switch tok, err := dec.ReadToken(); {
	case errors.Is(err, io.EOF):
		return nil // an empty body: no fields
	case err != nil:
		return parseError(err)
	case tok.Kind() != '{':
		return httpError(eParse, "JSON parse error - expected a JSON object")
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadValue()
		if err != nil {
			return parseError(err)
		}
		if i := wanted(name, keys); i >= 0 {
			v, err := dec.ReadValue()
			if err != nil {
				return parseError(err)
			}
			o.raw[keys[i]] = v.Clone() // v is valid only until the next read
		} else if err := skipValue(dec); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil { // '}', or what stands in its place
		return parseError(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		if err == nil {
			return httpError(eParse, "JSON parse error - unexpected data after the JSON object")
		}
		return parseError(err)
	}
	return nil
}

// readBody reads the whole body, into a buffer of its announced size when
// it has one.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if r.ContentLength < 0 {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, parseError(err)
		}
		return b, nil
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, b); err != nil {
		return nil, parseError(err)
	}
	return b, nil
}

// maxDepth is the deepest nesting accepted in a body. No field of the API
// nests at all; the decoder's own limit, 10,000, costs a stack of that size.
const maxDepth = 32

// skipValue skips the next value, refusing one nested over maxDepth.
func skipValue(dec *jsontext.Decoder) error {
	if k := dec.PeekKind(); k != '{' && k != '[' {
		if err := dec.SkipValue(); err != nil {
			return parseError(err)
		}
		return nil
	}
	depth := dec.StackDepth()
	for {
		if _, err := dec.ReadToken(); err != nil {
			return parseError(err)
		}
		switch d := dec.StackDepth(); {
		case d > maxDepth:
			return httpError(eParse, fmt.Sprintf("JSON parse error - nested deeper than %d levels", maxDepth))
		case d <= depth:
			return nil
		}
	}
}

// wanted returns the index in keys of a member's quoted name, or -1. A name
// without escapes is compared in place, so skipping a member allocates
// nothing.
func wanted(quoted jsontext.Value, keys []string) int {
	name := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		unquoted, err := jsontext.AppendUnquote(nil, quoted)
		if err != nil {
			return -1
		}
		name = unquoted
	}
	for i, k := range keys {
		if string(name) == k {
			return i
		}
	}
	return -1
}

func errTooLarge() error {
	return httpError(eTooLarge, fmt.Sprintf("Request body exceeds %d bytes.", MaxBodyBytes))
}

// parseError is the contract's parse error for what the decoder reported:
// the body was too large, could not be read, or is not JSON.
func parseError(err error) error {
	var maxErr *http.MaxBytesError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &maxErr):
		return errTooLarge()
	case errors.As(err, &syn):
		return httpError(eParse, fmt.Sprintf("JSON parse error - %v (at byte %d)", syn.Err, syn.ByteOffset))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return httpError(eParse, "JSON parse error - unexpected end of JSON input")
	}
	return httpError(eParse, "JSON parse error - could not read the request body")
}

// object is the members of a JSON object that a route reads, each read
// recording DRF's message when the value is missing or of a wrong type.
type object struct {
	raw  map[string]jsontext.Value
	errs healthcare.FieldErrors
}

// strOpt says how a string field is read.
type strOpt uint8

const (
	required   strOpt = 1 << iota // a missing field is an error
	allowBlank                    // "" is a value, not an error
	keepSpaces                    // not trimmed: a password's spaces are part of it
)

// value returns key's raw value, or records DRF's message for a value
// that is missing (when required) or null.
func (o *object) value(key string, opt strOpt) (jsontext.Value, bool) {
	raw, ok := o.raw[key]
	switch {
	case !ok:
		if opt&required != 0 {
			o.errs.Add(key, healthcare.MsgRequired)
		}
		return nil, false
	case raw.Kind() == 'n':
		o.errs.Add(key, healthcare.MsgNull)
		return nil, false
	}
	return raw, true
}

// str reads a string field. Numbers are taken as their text, as DRF's
// CharField does; leading and trailing spaces are trimmed unless keepSpaces.
func (o *object) str(key string, opt strOpt) *string {
	raw, ok := o.value(key, opt)
	if !ok {
		return nil
	}
	var s string
	switch raw.Kind() {
	case '"':
		s = unquote(raw)
	case '0':
		s = string(raw)
	default:
		o.errs.Add(key, healthcare.MsgNotString)
		return nil
	}
	if strings.ContainsRune(s, 0) {
		// PostgreSQL cannot store NUL in text; refuse it on both engines.
		o.errs.Add(key, healthcare.MsgNullCharacters)
		return nil
	}
	if opt&keepSpaces == 0 {
		s = strings.TrimSpace(s)
	}
	if s == "" && opt&allowBlank == 0 {
		o.errs.Add(key, healthcare.MsgBlank)
		return nil
	}
	return &s
}

// date reads a YYYY-MM-DD field.
func (o *object) date(key string, opt strOpt) *time.Time {
	raw, ok := o.value(key, opt)
	if !ok {
		return nil
	}
	var s string
	if raw.Kind() == '"' {
		s = unquote(raw)
	}
	t, ok := parseDate(s)
	if !ok {
		o.errs.Add(key, healthcare.MsgDateFormat)
		return nil
	}
	return &t
}

// isoDate is Django's parse_date pattern: one or two digits of month and
// day, and Python's "$", which also matches before a final newline.
var isoDate = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\n?$`)

// parseDate reads a date as DRF's DateField does (Django's parse_date):
// 1990-1-5 is 1990-01-05; a day the month does not have is no date.
func parseDate(s string) (time.Time, bool) {
	m := isoDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if y < 1 || t.Year() != y || t.Month() != time.Month(mo) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// pk reads a primary key: a positive integer, or a string holding one. The
// value's type is told by its first byte, so a huge array costs nothing to
// refuse.
func (o *object) pk(key string) int64 {
	raw, ok := o.value(key, required)
	if !ok {
		return 0
	}
	var text string
	switch raw.Kind() {
	case '"':
		if text = strings.TrimSpace(unquote(raw)); text == "" {
			// DRF treats an empty string as no value at all.
			o.errs.Add(key, healthcare.MsgNull)
			return 0
		}
		if _, err := strconv.ParseInt(text, 10, 64); err != nil && !isDigits(text) {
			o.errs.Add(key, "Incorrect type. Expected pk value, received str.")
			return 0
		}
	case '0':
		x, err := strconv.ParseFloat(string(raw), 64)
		// 59.0 names row 59, as a Django lookup would; 59.5 names none.
		if err != nil || x != float64(int64(x)) {
			o.errs.Add(key, fmt.Sprintf("Invalid pk \"%s\" - object does not exist.", truncate(string(raw), 32)))
			return 0
		}
		text = strconv.FormatInt(int64(x), 10)
	default:
		o.errs.Add(key, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", jsonTypeName(raw.Kind())))
		return 0
	}
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id <= 0 {
		o.errs.Add(key, fmt.Sprintf("Invalid pk \"%s\" - object does not exist.", truncate(text, 32)))
		return 0
	}
	return id
}

// unquote returns the text of a JSON string the decoder has validated.
func unquote(v jsontext.Value) string {
	b, _ := jsontext.AppendUnquote(make([]byte, 0, len(v)), v) // never longer than quoted
	return string(b)
}

func isDigits(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// jsonTypeName names a JSON value's kind as DRF's messages name Python's types.
func jsonTypeName(k jsontext.Kind) string {
	switch k {
	case 't', 'f':
		return "bool"
	case '[':
		return "list"
	case '{':
		return "dict"
	}
	return "str"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// err returns the recorded problems, or nil.
func (o *object) err() error { return o.errs.Err() }
