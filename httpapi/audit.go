package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
)

type auditEventResponse struct {
	ID         int64   `json:"id"`
	At         string  `json:"at"`
	Actor      *int64  `json:"actor"`
	Action     string  `json:"action"`
	ObjectType string  `json:"object_type"`
	ObjectID   *int64  `json:"object_id"`
	PatientID  *int64  `json:"patient_id"`
	PatientIDs []int64 `json:"patient_ids"`
	Outcome    string  `json:"outcome"`
	ClientAddr string  `json:"client_addr"`
	RequestID  string  `json:"request_id"`
	Detail     string  `json:"detail"`
}

func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func toAuditEventResponse(ev *healthcare.AuditEvent) auditEventResponse {
	ids := ev.PatientIDs
	if ids == nil {
		ids = []int64{}
	}
	return auditEventResponse{ID: ev.ID, At: jsonTime(ev.At), Actor: optionalID(ev.ActorID), Action: ev.Action,
		ObjectType: ev.ObjectType, ObjectID: optionalID(ev.ObjectID), PatientID: optionalID(ev.PatientID),
		PatientIDs: ids, Outcome: ev.Outcome, ClientAddr: ev.ClientAddr, RequestID: ev.RequestID, Detail: ev.Detail}
}

// AuditEventWriter returns a function that writes each event to w as one
// line of JSON, in the shape GET /api/audit/ uses: the export format.
func AuditEventWriter(w io.Writer) func(*healthcare.AuditEvent) error {
	enc := json.NewEncoder(w)
	return func(ev *healthcare.AuditEvent) error { return enc.Encode(toAuditEventResponse(ev)) }
}

// msgMinOne is DRF's MinValueValidator message for a minimum of 1.
const msgMinOne = "Ensure this value is greater than or equal to 1."

// msgDatetimeFormat is DRF's message for a datetime it cannot parse.
const msgDatetimeFormat = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."

func parseAuditFilter(r *http.Request) (healthcare.AuditFilter, error) {
	q := queryParams(r)
	errs := q.errs
	f := healthcare.AuditFilter{ListOptions: parseListOptions(q, []string{"id"}), Action: q.text("action", 64)}
	if v := q.get("patient"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			errs.Add("patient", healthcare.MsgInvalidInteger)
		case id <= 0:
			errs.Add("patient", msgMinOne) // an integer, but no record's id
		}
		f.PatientID = id
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.get(p.name); v != "" {
			t, ok := parseDateTime(v)
			if !ok {
				errs.Add(p.name, msgDatetimeFormat)
				continue
			}
			*p.dst = &t
		}
	}
	return f, q.err()
}

// dateTimeLayouts are what msgDatetimeFormat offers, DRF's ISO 8601:
// seconds, their fraction and the offset optional, a time without an
// offset in UTC (the Django design's TIME_ZONE).
var dateTimeLayouts = []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"}

// parseDateTime reads a time as RFC 3339 and DRF's ISO 8601 write it (a
// lowercase t or z, or a space for the T, as RFC 3339 allows), to the
// microsecond that the trail keeps, so that both databases compare alike.
func parseDateTime(v string) (time.Time, bool) {
	if len(v) > 10 && (v[10] == 't' || v[10] == ' ') {
		v = v[:10] + "T" + v[11:]
	}
	if strings.HasSuffix(v, "z") {
		v = v[:len(v)-1] + "Z"
	}
	for _, layout := range dateTimeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC().Truncate(time.Microsecond), true
		}
	}
	return time.Time{}, false
}

func handleAuditList(audit healthcare.AuditService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := parseAuditFilter(r)
		if err != nil {
			return err
		}
		events, total, err := audit.FindEvents(r.Context(), f)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, newPage(r, f.ListOptions, total, mapItems(events, toAuditEventResponse)))
		return nil
	}
}
