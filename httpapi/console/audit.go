package console

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
)

// formTime is the format of a datetime-local input, read as UTC.
const formTime = "2006-01-02T15:04"

// auditQuery is the audit page's filters, as typed.
type auditQuery struct {
	Actor, Action, Patient, Outcome, Since, Until string
}

// Outcomes lists the outcomes to filter by.
func (auditQuery) Outcomes() []string {
	return []string{healthcare.OutcomeOK, healthcare.OutcomeDenied, healthcare.OutcomeNotFound, healthcare.OutcomeInvalid}
}

// ExportCSV and ExportJSONL are the export links of these filters: whole
// URLs, since html/template escapes a value placed after a "?" as one
// query component ("=" and "&" included).
func (q auditQuery) ExportCSV() string   { return "/admin/audit/export.csv?" + q.Encode() }
func (q auditQuery) ExportJSONL() string { return "/admin/audit/export.jsonl?" + q.Encode() }

// Encode is the filters as a query string.
func (q auditQuery) Encode() string {
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.Actor, "action": q.Action, "patient": q.Patient,
		"outcome": q.Outcome, "since": q.Since, "until": q.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// parseAuditQuery reads the filters; fields lists what is malformed.
func parseAuditQuery(v url.Values) (auditQuery, healthcare.AuditFilter, healthcare.FieldErrors) {
	q := auditQuery{Actor: truncate(v.Get("actor"), 20), Action: truncate(v.Get("action"), 64),
		Patient: truncate(v.Get("patient"), 20), Outcome: truncate(v.Get("outcome"), 20),
		Since: truncate(v.Get("since"), 20), Until: truncate(v.Get("until"), 20)}
	f := healthcare.AuditFilter{ListOptions: listOptions(v), Action: q.Action, Outcome: q.Outcome}
	f.Search = ""
	errs := healthcare.FieldErrors{}
	readID := func(name, s string, dst *int64) {
		if s == "" {
			return
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			errs.Add(name, healthcare.MsgInvalidInteger)
			return
		}
		*dst = id
	}
	readID("actor", q.Actor, &f.ActorID)
	readID("patient", q.Patient, &f.PatientID)
	readTime := func(name, s string) *time.Time {
		if s == "" {
			return nil
		}
		t, err := time.Parse(formTime, s)
		if err != nil {
			t, err = time.Parse(formTime+":05", s) // with seconds, as some browsers send
		}
		if err != nil {
			errs.Add(name, "Enter a date and time as YYYY-MM-DDThh:mm (UTC).")
			return nil
		}
		return &t
	}
	f.Since, f.Until = readTime("since", q.Since), readTime("until", q.Until)
	if f.Until != nil {
		u := f.Until.Add(time.Minute - time.Microsecond) // the whole minute typed
		f.Until = &u
	}
	return q, f, errs
}

type auditData struct {
	Query  auditQuery
	Events []*healthcare.AuditEvent
	Pager  pager
}

func (c *console) handleAudit(w http.ResponseWriter, r *http.Request) error {
	q, f, errs := parseAuditQuery(r.URL.Query())
	p := page{Title: "Audit trail", Nav: "audit"}
	d := auditData{Query: q}
	status := http.StatusOK
	if len(errs) > 0 {
		p.Fields, status = errs, http.StatusBadRequest
	} else {
		events, total, err := c.svc.Audit.FindEvents(r.Context(), f)
		if healthcare.ErrorCode(err) == healthcare.ENOTFOUND && f.Page > 1 {
			events, total, err = nil, 0, nil
		}
		if err != nil {
			return err
		}
		d.Events, d.Pager = events, newPager(r, f.Page, total)
	}
	p.Data = d
	c.render(w, r, status, "audit", p)
	return nil
}

// Export formats.
const (
	csvFormat       = "csv"
	jsonLinesFormat = "jsonl"
)

var csvHeader = []string{"id", "at", "actor", "action", "object_type", "object_id", "patient_id", "patient_ids",
	"owner", "outcome", "client_addr", "request_id", "reason", "detail"}

// handleAuditExport streams the filtered events, newest first: each row
// is written as it is read, so an export of any size holds little memory.
func (c *console) handleAuditExport(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, f, errs := parseAuditQuery(r.URL.Query())
		if err := errs.Err(); err != nil {
			return err
		}
		h := w.Header()
		name := "audit-" + time.Now().UTC().Format("20060102T150405Z") + "." + format
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		var (
			write func(*healthcare.AuditEvent) error
			flush func() error
		)
		switch format {
		case csvFormat:
			h.Set("Content-Type", "text/csv; charset=utf-8")
			cw := bufio.NewWriter(w)
			_ = writeCSVRecord(cw, csvHeader)
			write = func(ev *healthcare.AuditEvent) error { return writeCSVRecord(cw, csvRow(ev)) }
			flush = cw.Flush
		default:
			h.Set("Content-Type", "application/jsonl; charset=utf-8")
			enc := json.NewEncoder(w)
			write = func(ev *healthcare.AuditEvent) error { return enc.Encode(toExportEvent(ev)) }
			flush = func() error { return nil }
		}
		wrote := false
		err := c.svc.Staff.ExportEvents(r.Context(), f, func(ev *healthcare.AuditEvent) error {
			wrote = true
			return write(ev)
		})
		if err != nil && !wrote {
			h.Del("Content-Disposition")
			return err // nothing sent yet: an error page
		}
		if ferr := flush(); err == nil {
			err = ferr
		}
		if err != nil {
			// The status is sent: all that is left is to cut the download
			// short, so it is not taken for complete, and log why.
			c.logger.ErrorContext(r.Context(), "audit export stopped", "err", err,
				"request_id", healthcare.RequestInfoFromContext(r.Context()).RequestID)
			panic(http.ErrAbortHandler)
		}
		return nil
	}
}

func optID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func csvRow(ev *healthcare.AuditEvent) []string {
	ids := make([]string, len(ev.PatientIDs))
	for i, id := range ev.PatientIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return []string{strconv.FormatInt(ev.ID, 10), ev.At.UTC().Format(time.RFC3339Nano), optID(ev.ActorID), ev.Action,
		ev.ObjectType, optID(ev.ObjectID), optID(ev.PatientID), strings.Join(ids, " "), optID(ev.OwnerID),
		ev.Outcome, ev.ClientAddr, ev.RequestID, spreadsheetSafe(ev.Reason), spreadsheetSafe(ev.Detail)}
}

// writeCSVRecord writes one record with every field quoted (RFC 4180):
// a spreadsheet whose list separator is ";" would otherwise split an
// unquoted field there, and read a formula after it.
func writeCSVRecord(w *bufio.Writer, fields []string) error {
	var rec []byte
	for i, f := range fields {
		if i > 0 {
			rec = append(rec, ',')
		}
		rec = append(rec, '"')
		rec = append(rec, strings.ReplaceAll(f, `"`, `""`)...)
		rec = append(rec, '"')
	}
	_, err := w.Write(append(rec, '\r', '\n'))
	return err
}

// spreadsheetSafe keeps a typed reason from being run as a formula by the
// spreadsheet that opens the export.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@|\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportEvent is an event in the JSON lines export: the API's audit shape,
// with the owner, the reason and the detail.
type exportEvent struct {
	ID         int64   `json:"id"`
	At         string  `json:"at"`
	Actor      *int64  `json:"actor"`
	Action     string  `json:"action"`
	ObjectType string  `json:"object_type"`
	ObjectID   *int64  `json:"object_id"`
	PatientID  *int64  `json:"patient_id"`
	PatientIDs []int64 `json:"patient_ids"`
	Owner      *int64  `json:"owner"`
	Outcome    string  `json:"outcome"`
	ClientAddr string  `json:"client_addr"`
	RequestID  string  `json:"request_id"`
	Reason     string  `json:"reason,omitempty"`
	Detail     string  `json:"detail,omitempty"`
}

func ptrID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func toExportEvent(ev *healthcare.AuditEvent) exportEvent {
	ids := ev.PatientIDs
	if ids == nil {
		ids = []int64{}
	}
	return exportEvent{ID: ev.ID, At: ev.At.UTC().Format(time.RFC3339Nano), Actor: ptrID(ev.ActorID), Action: ev.Action,
		ObjectType: ev.ObjectType, ObjectID: ptrID(ev.ObjectID), PatientID: ptrID(ev.PatientID), PatientIDs: ids,
		Owner: ptrID(ev.OwnerID), Outcome: ev.Outcome, ClientAddr: ev.ClientAddr, RequestID: ev.RequestID, Reason: ev.Reason,
		Detail: ev.Detail}
}
