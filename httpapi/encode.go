package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clinicapi/healthcare"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// encodeBuffers are reused across responses: a page of patients is a few
// kilobytes, encoded on nearly every request.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// serverErrorBody is sent if a value cannot be encoded, rather than half a
// body under a success status.
const serverErrorBody = `{"detail":"A server error occurred.","code":"server_error"}` + "\n"

// encode writes v as the JSON body of a response with status. The body is
// encoded whole first, so the response carries its Content-Length and
// goes out in one write rather than in chunks.
func encode(w http.ResponseWriter, status int, v any) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 { // a rare large body is not kept
			encodeBuffers.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(serverErrorBody)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	// The status is sent; an error here means the client has gone.
	_, _ = w.Write(buf.Bytes())
}

// jsonTime is t as encoding/json writes a time.Time (RFC 3339, with as
// many fractional digits as it has), made up front: time.Time's MarshalJSON
// output is validated and compacted again by encoding/json, which made it
// the most expensive part of encoding a page.
func jsonTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// decodeObject reads a JSON object body. Keys are matched exactly, unlike
// encoding/json's case-insensitive struct matching, so "OWNER" or "Id" can
// never reach a field; unknown keys are ignored.
func decodeObject(w http.ResponseWriter, r *http.Request) (*object, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, errTooLarge()
	} else if err != nil {
		return nil, errorf(eParse, "JSON parse error - could not read the request body")
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && len(bytes.TrimSpace(body)) == 0 {
		return &object{raw: map[string]json.RawMessage{}, errs: healthcare.FieldErrors{}}, nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, errorf(eUnsupportedMedia, fmt.Sprintf("Unsupported media type %q in request.", ct))
	}
	raw := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		var v any = &raw
		if bytes.TrimSpace(body)[0] != '{' {
			return nil, errorf(eParse, "JSON parse error - expected a JSON object")
		}
		if err := dec.Decode(v); err != nil {
			return nil, errorf(eParse, "JSON parse error - "+jsonReason(err))
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errorf(eParse, "JSON parse error - unexpected data after the JSON object")
		}
	}
	return &object{raw: raw, errs: healthcare.FieldErrors{}}, nil
}

func errTooLarge() error {
	return errorf(eTooLarge, fmt.Sprintf("Request body exceeds %d bytes.", MaxBodyBytes))
}

// jsonReason describes a syntax error without echoing the input.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of JSON input"
	}
	return "invalid JSON"
}

// object is a decoded JSON object whose fields are read one by one, each
// read recording DRF's message when the value is missing or of a wrong type.
type object struct {
	raw  map[string]json.RawMessage
	errs healthcare.FieldErrors
}

// str reads a string field. A missing field is an error only if required;
// an empty one only if !allowBlank. Numbers are taken as their text, as
// DRF's CharField does. Leading and trailing spaces are trimmed if trim.
func (o *object) str(key string, required, allowBlank, trim bool) *string {
	raw, ok := o.raw[key]
	if !ok {
		if required {
			o.errs.Add(key, healthcare.MsgRequired)
		}
		return nil
	}
	var s string
	switch {
	case string(raw) == "null":
		o.errs.Add(key, healthcare.MsgNull)
		return nil
	case len(raw) > 0 && raw[0] == '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			o.errs.Add(key, healthcare.MsgNotString)
			return nil
		}
	case len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')):
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
	if trim {
		s = strings.TrimSpace(s)
	}
	if s == "" && !allowBlank {
		o.errs.Add(key, healthcare.MsgBlank)
		return nil
	}
	return &s
}

// date reads a YYYY-MM-DD field.
func (o *object) date(key string, required bool) *time.Time {
	raw, ok := o.raw[key]
	if !ok {
		if required {
			o.errs.Add(key, healthcare.MsgRequired)
		}
		return nil
	}
	if string(raw) == "null" {
		o.errs.Add(key, healthcare.MsgNull)
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.errs.Add(key, healthcare.MsgDateFormat)
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1 {
		o.errs.Add(key, healthcare.MsgDateFormat)
		return nil
	}
	return &t
}

// pk reads a primary key: a positive integer, or a string holding one.
func (o *object) pk(key string) int64 {
	raw, ok := o.raw[key]
	if !ok {
		o.errs.Add(key, healthcare.MsgRequired)
		return 0
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		o.errs.Add(key, healthcare.MsgRequired)
		return 0
	}
	var text string
	switch x := v.(type) {
	case nil:
		o.errs.Add(key, healthcare.MsgNull)
		return 0
	case string:
		if text = strings.TrimSpace(x); text == "" {
			// DRF treats an empty string as no value at all.
			o.errs.Add(key, healthcare.MsgNull)
			return 0
		}
		if _, err := strconv.ParseInt(text, 10, 64); err != nil && !isDigits(text) {
			o.errs.Add(key, "Incorrect type. Expected pk value, received str.")
			return 0
		}
	case float64:
		// 59.0 names row 59, as a Django lookup would; 59.5 names none.
		if x != float64(int64(x)) {
			o.errs.Add(key, fmt.Sprintf("Invalid pk \"%s\" - object does not exist.", truncate(string(raw), 32)))
			return 0
		}
		text = strconv.FormatInt(int64(x), 10)
	default:
		o.errs.Add(key, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", jsonTypeName(v)))
		return 0
	}
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id <= 0 {
		o.errs.Add(key, fmt.Sprintf("Invalid pk \"%s\" - object does not exist.", truncate(text, 32)))
		return 0
	}
	return id
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

func jsonTypeName(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
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
