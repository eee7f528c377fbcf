package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// A form's fields are kept as JSON strings, so that the same readers
// (str, date, pk) serve every parser, as DRF's fields serve every parser's
// data.

// readForm reads an application/x-www-form-urlencoded body as Django's
// QueryDict does: "&" between fields, "+" for a space, percent escapes, at
// most maxParams fields (DATA_UPLOAD_MAX_NUMBER_FIELDS), the last of
// repeated fields.
func (o *object) readForm(body []byte, keys []string) error {
	s := string(body)
	if strings.Count(s, "&") >= maxParams {
		return httpError(eParse, fmt.Sprintf("Form parse error - more than %d fields.", maxParams))
	}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		name, value, _ := strings.Cut(pair, "=")
		if name = formUnescape(name); slices.Contains(keys, name) {
			if err := o.keepText(name, formUnescape(value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// formUnescape decodes "+" and percent escapes; text with a malformed
// escape is kept as it is, as Python's unquote keeps it.
func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// maxPartHeaders bounds the headers of one multipart part, as the body
// bounds the whole.
const maxPartHeaders = 10

// readMultipart reads a multipart/form-data body part by part, keeping the
// form fields named in keys; files, which no route takes, are skipped as
// DRF puts them aside.
func (o *object) readMultipart(body io.Reader, boundary string, keys []string) error {
	if boundary == "" {
		return httpError(eParse, "Multipart form parse error - Invalid boundary in multipart: None")
	}
	mr := multipart.NewReader(body, boundary)
	for n := 0; ; n++ {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return multipartError(err)
		}
		if n >= maxParams || len(part.Header) > maxPartHeaders {
			return httpError(eParse, fmt.Sprintf("Multipart form parse error - more than %d fields.", maxParams))
		}
		name := part.FormName()
		if part.FileName() != "" || !slices.Contains(keys, name) {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return multipartError(err)
			}
			continue
		}
		value, err := io.ReadAll(part)
		if err != nil {
			return multipartError(err)
		}
		if err := o.keepText(name, string(value)); err != nil {
			return err
		}
	}
}

func multipartError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return errTooLarge()
	}
	return httpError(eParse, "Multipart form parse error - the body is not a well-formed multipart form.")
}

// keepText keeps a form field's text as the JSON string it would have been.
func (o *object) keepText(name, value string) error {
	if !utf8.ValidString(value) {
		return httpError(eParse, "Form parse error - a field is not valid UTF-8.")
	}
	quoted, err := jsontext.AppendQuote(nil, value)
	if err != nil {
		return httpError(eParse, "Form parse error - a field is not valid UTF-8.")
	}
	o.raw[name] = quoted
	return nil
}
