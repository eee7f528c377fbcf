package httpapi

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonAppender is a response body that writes its own JSON, byte for byte
// what encoding/json writes for it (appendjson_test.go holds them to
// that): the hot reads' bodies, whose reflection-driven encoding was a
// tenth of a patient list's CPU.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// appendJSONString appends s as encoding/json quotes it. Text that needs no
// escaping under encoding/json's rules (HTML characters included) is copied
// as is; anything else goes through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			quoted, err := json.Marshal(s)
			if err != nil { // a string always encodes
				panic(err)
			}
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendKey appends `,"name":` (without the comma for the first field).
func appendKey(b []byte, name string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendInt(b []byte, name string, v int64, first bool) []byte {
	return strconv.AppendInt(appendKey(b, name, first), v, 10)
}

func appendStr(b []byte, name, v string) []byte {
	return appendJSONString(appendKey(b, name, false), v)
}

// timestamp is a time as encoding/json writes a time.Time (RFC 3339, with
// as many fractional digits as it has), written without a string of its
// own; date is a calendar date, YYYY-MM-DD.
type (
	timestamp time.Time
	date      time.Time
)

func (t timestamp) appendJSON(b []byte) []byte {
	return append(appendDRFTime(append(b, '"'), time.Time(t)), '"')
}

// appendDRFTime writes t as DRF writes a DateTimeField in UTC (Python's
// isoformat with "+00:00" as "Z"): six digits of microseconds, or none
// when there are none. time.RFC3339Nano would drop trailing zeros, which
// a client parsing a fixed number of digits would refuse. The digits are
// written by hand: a page writes dozens of times, and AppendFormat
// parses its layout each time.
func appendDRFTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return append(t.AppendFormat(b, "2006-01-02T15:04:05.000000"), 'Z') // never stored; kept readable
	}
	hour, minute, second := t.Clock()
	b = appendDigits(b, year, 4)
	b = appendDigits(append(b, '-'), int(month), 2)
	b = appendDigits(append(b, '-'), day, 2)
	b = appendDigits(append(b, 'T'), hour, 2)
	b = appendDigits(append(b, ':'), minute, 2)
	b = appendDigits(append(b, ':'), second, 2)
	if us := t.Nanosecond() / 1000; us != 0 {
		b = appendDigits(append(b, '.'), us, 6)
	}
	return append(b, 'Z')
}

// appendDigits writes n, which is not negative, in width digits.
func appendDigits(b []byte, n, width int) []byte {
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[:width]...)
}

func (d date) appendJSON(b []byte) []byte {
	return append(time.Time(d).AppendFormat(append(b, '"'), time.DateOnly), '"')
}

func (t timestamp) MarshalJSON() ([]byte, error) { return t.appendJSON(nil), nil }
func (d date) MarshalJSON() ([]byte, error)      { return d.appendJSON(nil), nil }

func (p patientResponse) appendJSON(b []byte) []byte {
	b = appendInt(append(b, '{'), "id", p.ID, true)
	b = appendStr(b, "first_name", p.FirstName)
	b = appendStr(b, "last_name", p.LastName)
	b = appendStr(b, "email", p.Email)
	b = p.DOB.appendJSON(appendKey(b, "dob", false))
	b = appendStr(b, "notes", p.Notes)
	b = p.CreatedAt.appendJSON(appendKey(b, "created_at", false))
	b = p.UpdatedAt.appendJSON(appendKey(b, "updated_at", false))
	return append(b, '}')
}

func (d doctorResponse) appendJSON(b []byte) []byte {
	b = appendInt(append(b, '{'), "id", d.ID, true)
	b = appendStr(b, "first_name", d.FirstName)
	b = appendStr(b, "last_name", d.LastName)
	b = appendStr(b, "email", d.Email)
	b = appendStr(b, "specialization", d.Specialization)
	b = d.CreatedAt.appendJSON(appendKey(b, "created_at", false))
	b = d.UpdatedAt.appendJSON(appendKey(b, "updated_at", false))
	return append(b, '}')
}

func (d doctorDetail) appendJSON(b []byte) []byte {
	b = appendInt(append(b, '{'), "id", d.ID, true)
	b = appendStr(b, "first_name", d.FirstName)
	b = appendStr(b, "last_name", d.LastName)
	b = appendStr(b, "specialization", d.Specialization)
	return append(b, '}')
}

func (a assignmentResponse) appendJSON(b []byte) []byte {
	b = appendInt(append(b, '{'), "id", a.ID, true)
	b = appendInt(b, "patient", a.Patient, false)
	b = appendInt(b, "doctor", a.Doctor, false)
	b = a.DoctorDetail.appendJSON(appendKey(b, "doctor_detail", false))
	b = a.CreatedAt.appendJSON(appendKey(b, "created_at", false))
	return append(b, '}')
}

func (p pageBody[T]) appendJSON(b []byte) []byte {
	b = appendInt(append(b, '{'), "count", int64(p.Count), true)
	for _, link := range []struct {
		name string
		url  *string
	}{{"next", p.Next}, {"previous", p.Previous}} {
		b = appendKey(b, link.name, false)
		if link.url == nil {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, *link.url)
		}
	}
	b = append(appendKey(b, "results", false), '[')
	switch results := any(p.Results).(type) {
	case []patientResponse:
		b = appendEach(b, results)
	case []doctorResponse:
		b = appendEach(b, results)
	case []assignmentResponse:
		b = appendEach(b, results)
	default:
		for i, item := range p.Results {
			if i > 0 {
				b = append(b, ',')
			}
			raw, err := json.Marshal(item)
			if err != nil { // the response types hold nothing that fails to encode
				panic(err)
			}
			b = append(b, raw...)
		}
	}
	return append(b, ']', '}')
}

func appendEach[T jsonAppender](b []byte, items []T) []byte {
	for i, item := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = item.appendJSON(b)
	}
	return b
}
