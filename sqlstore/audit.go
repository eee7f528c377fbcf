package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
)

// AuditService implements healthcare.AuditService.
type AuditService struct {
	db *DB
}

var _ healthcare.AuditService = (*AuditService)(nil)

// NewAuditService returns an AuditService on db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

const auditColumns = `id, at, actor_id, action, object_type, object_id, patient_id, patient_ids, owner_id,
outcome, client_addr, request_id, detail, reason`

const findEventsSQL = `SELECT ` + auditColumns + `, count(*) OVER () FROM audit_events WHERE 1 = 1`

// A filtered list reads the events that pass the filters once, by the
// filters' own indexes, before the page is sorted out of them. Asked
// directly, PostgreSQL costs the LIMIT as if the count could stop early
// and walks the primary key backwards past every other event: 1.8 s for
// one user's page among 3 million events, 24 ms this way (EXPLAIN
// ANALYZE, 2026-11-30). With no filter at all, every event is counted
// either way, and the direct query is the cheaper.
const (
	filteredEventsSQL  = `WITH listed AS MATERIALIZED (SELECT ` + auditColumns + ` FROM audit_events WHERE 1 = 1`
	filteredEventsPage = `) SELECT *, count(*) OVER () FROM listed`
)

// FindEvents returns a page of the events the caller may see, newest first.
func (s *AuditService) FindEvents(ctx context.Context, f healthcare.AuditFilter) ([]*healthcare.AuditEvent, int, error) {
	q, err := s.db.eventsQuery(ctx, &f)
	if err != nil {
		return nil, 0, err
	}
	var (
		events []*healthcare.AuditEvent
		total  int
	)
	err = s.db.pool().each(ctx, q.String(), q.args, func(row scanner) error {
		ev, err := scanEvent(row, &total)
		if err != nil {
			return err
		}
		events = append(events, ev)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find audit events: %w", err)
	}
	total, err = pageResult(f.ListOptions, len(events), total)
	return events, total, err
}

// eventsQuery is the query of a page of the events the caller may see;
// it settles f's page (page=last) as it goes.
func (db *DB) eventsQuery(ctx context.Context, f *healthcare.AuditFilter) (*query, error) {
	u := healthcare.UserFromContext(ctx)
	if u == nil {
		return nil, healthcare.NotAuthenticated()
	}
	q := newQuery("")
	if !u.IsStaff {
		involving(q, u.ID)
	}
	filterEvents(q, *f)
	if conditions := q.String(); conditions == "" {
		q = newQuery(findEventsSQL)
	} else {
		q = newQuery(filteredEventsSQL+conditions+filteredEventsPage, q.args...)
	}
	f.Ordering = []string{"-id"}
	if err := q.page(ctx, db.pool(), &f.ListOptions, map[string]string{"id": "id"}, "id"); err != nil {
		return nil, err
	}
	return q, nil
}

// filterEvents adds the conditions of f.
func filterEvents(q *query, f healthcare.AuditFilter) {
	if f.PatientID != 0 {
		q.sql.WriteString(" AND (patient_id = " + q.arg(f.PatientID) + " OR patient_ids LIKE " +
			q.arg("%,"+strconv.FormatInt(f.PatientID, 10)+",%") + ")")
	}
	if f.Action != "" {
		q.where("action = %s", f.Action)
	}
	if f.ActorID != 0 {
		q.where("actor_id = %s", f.ActorID)
	}
	if f.Involving != 0 {
		involving(q, f.Involving)
	}
	if f.Outcome != "" {
		q.where("outcome = %s", f.Outcome)
	}
	if f.Since != nil {
		q.where("at >= %s", f.Since.UTC())
	}
	if f.Until != nil {
		q.where("at <= %s", f.Until.UTC())
	}
}

// involving keeps the events user acted in or whose patient user owns. The
// owner index holds only events whose owner is not their actor (migration
// 00014): an owner reading their own patient is found by the actor index,
// and the second condition repeats the index's predicate so that the
// planner may use it.
func involving(q *query, user int64) {
	id := q.arg(user)
	q.sql.WriteString(" AND (actor_id = " + id + " OR (owner_id = " + id + " AND owner_id IS DISTINCT FROM actor_id))")
}

func scanEvent(row scanner, extra ...any) (*healthcare.AuditEvent, error) {
	var (
		ev                            healthcare.AuditEvent
		actor, object, patient, owner sql.NullInt64
		patientIDs                    string
	)
	dest := append([]any{&ev.ID, &ev.At, &actor, &ev.Action, &ev.ObjectType, &object, &patient, &patientIDs,
		&owner, &ev.Outcome, &ev.ClientAddr, &ev.RequestID, &ev.Detail, &ev.Reason}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, fmt.Errorf("scan audit event: %w", err)
	}
	ev.At = ev.At.UTC()
	ev.ActorID, ev.ObjectID, ev.PatientID, ev.OwnerID = actor.Int64, object.Int64, patient.Int64, owner.Int64
	ev.PatientIDs = splitIDs(patientIDs)
	return &ev, nil
}

const exportEventsSQL = `SELECT ` + auditColumns + ` FROM audit_events WHERE at >= $1 AND at <= $2 ORDER BY id`

// ExportEvents calls fn for every event between since and until, oldest
// first, reading them as a stream so that memory stays flat.
func (db *DB) ExportEvents(ctx context.Context, since, until time.Time, fn func(*healthcare.AuditEvent) error) error {
	return db.streamEvents(ctx, exportEventsSQL, []any{since.UTC(), until.UTC()}, fn)
}

// streamEvents calls fn for each event query selects, as it is read.
func (db *DB) streamEvents(ctx context.Context, query string, args []any, fn func(*healthcare.AuditEvent) error) error {
	err := db.pool().each(ctx, query, args, func(row scanner) error {
		ev, err := scanEvent(row)
		if err != nil {
			return err
		}
		return fn(ev)
	})
	if err != nil {
		return fmt.Errorf("export audit events: %w", err)
	}
	return nil
}

func splitIDs(s string) []int64 {
	var ids []int64
	for _, part := range strings.Split(strings.Trim(s, ","), ",") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
