package sqlstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/jackc/pgx/v5/stdlib"
)

// auditWriters is how many batches may be in flight at once. Measured with
// scripts/bench-audit, two writers halved the batch size and cost more
// database CPU per event than their overlap saved.
const auditWriters = 1

// maxAuditBatch bounds one group commit, so that it is one statement: at
// 14 parameters an event, far below both engines' parameter limits.
const maxAuditBatch = 256

// auditor writes audit events. Events of a change are inserted in the
// change's own transaction (insertTx); events that stand alone, such
// as reads, go through a group commit: one writer takes every event queued
// while it was busy and inserts them in one transaction, and each request
// waits for its batch to commit before it answers.
type auditor struct {
	db *DB
	// disabled turns the audit trail off, only to measure what it costs
	// (export_test.go); nothing in the product sets it.
	disabled bool
	queue    chan *auditRequest
	quit     chan struct{}
	stopped  sync.WaitGroup
	// observe, when set, is told the size of every batch written and how
	// long its oldest event waited.
	observe func(events int, oldest time.Duration)
	// lastLag is how long the oldest event of the last batch waited, in
	// nanoseconds.
	lastLag atomic.Int64
}

// lag is how long the oldest event of the last batch written waited.
func (a *auditor) lag() time.Duration { return time.Duration(a.lastLag.Load()) }

type auditRequest struct {
	events []*healthcare.AuditEvent
	queued time.Time
	done   chan error
}

var errAuditClosed = errors.New("audit trail is closed")

func newAuditor(db *DB) *auditor {
	a := &auditor{db: db, queue: make(chan *auditRequest, maxAuditBatch),
		quit: make(chan struct{})}
	for range auditWriters {
		a.stopped.Add(1)
		go a.run()
	}
	return a
}

// record makes events durable, returning once they have committed.
func (a *auditor) record(ctx context.Context, events ...*healthcare.AuditEvent) error {
	if a.disabled {
		return nil
	}
	r := &auditRequest{events: events, queued: time.Now(), done: make(chan error, 1)}
	select {
	case a.queue <- r:
	case <-a.quit:
		return errAuditClosed
	case <-ctx.Done():
		return fmt.Errorf("queue audit event: %w", ctx.Err())
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("wait for audit event: %w", ctx.Err())
	}
}

func (a *auditor) run() {
	defer a.stopped.Done()
	last := 0 // the size of the last batch
	for {
		select {
		case r := <-a.queue:
			last = a.flush(r, last)
		case <-a.quit:
			// Whatever was queued before Close is still written, at once.
			for {
				select {
				case r := <-a.queue:
					a.flush(r, 0)
				default:
					return
				}
			}
		}
	}
}

// auditGather is how long a batch may wait for more events when the last
// batch was larger than what is queued: under load, the events of the
// requests running alongside arrive within it, and one statement and one
// commit for all of them cost the database and the server less than
// several (scripts/loadtest -compare, two alternated pairs: patient reads
// 0.54 and 0.55 of the floor without, 0.56 and 0.59 with). An idle
// server's batches are of one event and never wait.
const auditGather = time.Millisecond

// flush writes first and everything queued behind it, up to a batch; if
// that is fewer events than target, it waits up to auditGather for more.
// It returns how many events it wrote.
func (a *auditor) flush(first *auditRequest, target int) int {
	batch := []*auditRequest{first}
	n := len(first.events)
	// Let requests that are about to queue do so: measured, it makes
	// batches larger and costs a runnable goroutine a moment at most.
	runtime.Gosched()
drain:
	for n < maxAuditBatch {
		select {
		case r := <-a.queue:
			batch = append(batch, r)
			n += len(r.events)
		default:
			break drain
		}
	}
	if goal := min(target, maxAuditBatch); n < goal {
		timer := time.NewTimer(auditGather)
	gather:
		for n < goal {
			select {
			case r := <-a.queue:
				batch = append(batch, r)
				n += len(r.events)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
	}
	events := make([]*healthcare.AuditEvent, 0, n)
	for _, r := range batch {
		events = append(events, r.events...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A batch is one INSERT, atomic on its own: no BEGIN and COMMIT round trips.
	err := a.insert(ctx, a.db.pool(), events)
	a.db.noteWrite(err)
	if err == nil {
		waited := time.Since(first.queued)
		a.lastLag.Store(int64(waited))
		if a.observe != nil {
			a.observe(len(events), waited)
		}
	}
	for _, r := range batch {
		r.done <- err
	}
	return n
}

func (a *auditor) close() {
	close(a.quit)
	a.stopped.Wait()
}

// insertTx adds events to a change's transaction, so that both commit or neither.
func (a *auditor) insertTx(ctx context.Context, tx handle, events ...*healthcare.AuditEvent) error {
	if a.disabled {
		return nil
	}
	return a.insert(ctx, tx, events)
}

const insertAuditSQL = `INSERT INTO audit_events (at, actor_id, action, object_type, object_id, patient_id,
patient_ids, owner_id, outcome, client_addr, request_id, subject_hash, detail, reason) VALUES `

func (a *auditor) insert(ctx context.Context, tx handle, events []*healthcare.AuditEvent) error {
	if a.db.dialect == postgresDialect {
		return a.insertArrays(ctx, tx, events)
	}
	for len(events) > 0 {
		chunk := events[:min(len(events), maxAuditBatch)]
		events = events[len(chunk):]
		q := newQuery(insertAuditSQL)
		now := a.db.now()
		for i, ev := range chunk {
			if i > 0 {
				q.sql.WriteString(", ")
			}
			ev.At = now
			q.sql.WriteString("(" + strings.Join([]string{
				q.arg(ev.At), q.arg(nullID(ev.ActorID)), q.arg(ev.Action), q.arg(ev.ObjectType),
				q.arg(nullID(ev.ObjectID)), q.arg(nullID(ev.PatientID)), q.arg(joinIDs(ev.PatientIDs)),
				q.arg(nullID(ev.OwnerID)), q.arg(ev.Outcome), q.arg(ev.ClientAddr), q.arg(ev.RequestID),
				q.arg(ev.SubjectHash), q.arg(ev.Detail), q.arg(ev.Reason),
			}, ", ") + ")")
		}
		if _, err := tx.exec(ctx, q.String(), q.args...); err != nil {
			return fmt.Errorf("insert audit events: %w", err)
		}
	}
	return nil
}

// insertArraysSQL inserts any number of events as one statement of fixed
// text, each column passed as one array: prepared once per connection,
// where a VALUES list of a batch's own length was parsed and planned for
// every batch (BenchmarkAudit).
const insertArraysSQL = `INSERT INTO audit_events (at, actor_id, action, object_type, object_id, patient_id,
patient_ids, owner_id, outcome, client_addr, request_id, subject_hash, detail, reason)
SELECT $1::timestamptz, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
$7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])`

// insertArrays is insert on PostgreSQL.
func (a *auditor) insertArrays(ctx context.Context, h handle, events []*healthcare.AuditEvent) error {
	n := len(events)
	ids := make([]*int64, 4*n) // actor, object, patient, owner: nil is NULL
	texts := make([]string, 9*n)
	actor, object, patient, owner := ids[:n], ids[n:2*n], ids[2*n:3*n], ids[3*n:]
	col := func(i int) []string { return texts[i*n : (i+1)*n] }
	action, objectType, patientIDs, outcome, client := col(0), col(1), col(2), col(3), col(4)
	requestID, subject, detail, reason := col(5), col(6), col(7), col(8)
	now := a.db.now()
	for i, ev := range events {
		ev.At = now
		actor[i], object[i], patient[i], owner[i] = idOrNull(&ev.ActorID), idOrNull(&ev.ObjectID),
			idOrNull(&ev.PatientID), idOrNull(&ev.OwnerID)
		action[i], objectType[i], patientIDs[i], outcome[i] = ev.Action, ev.ObjectType, joinIDs(ev.PatientIDs), ev.Outcome
		client[i], requestID[i], subject[i], detail[i], reason[i] = ev.ClientAddr, ev.RequestID, ev.SubjectHash, ev.Detail, ev.Reason
	}
	args := []any{now, actor, action, objectType, object, patient, patientIDs, owner, outcome, client,
		requestID, subject, detail, reason}
	var err error
	if h.tx != nil {
		_, err = h.tx.ExecContext(ctx, insertArraysSQL, args...)
	} else {
		err = h.raw(ctx, func(c *stdlib.Conn) error {
			_, err := c.Conn().Exec(ctx, insertArraysSQL, args...)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("insert audit events: %w", err)
	}
	return nil
}

func idOrNull(id *int64) *int64 {
	if *id == 0 {
		return nil
	}
	return id
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// joinIDs writes ids as ",1,2,3," so that one id can be matched with LIKE
// '%,2,%' on both engines; "" for none.
func joinIDs(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte(',')
	for _, id := range ids {
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteByte(',')
	}
	return b.String()
}

// subjectHash stands for a login name in the audit trail: keyed, so that
// nobody holding the table can test guesses against it.
func (db *DB) subjectHash(login string) string {
	mac := hmac.New(sha256.New, db.auditKey)
	mac.Write([]byte(healthcare.Fold(login)))
	return hex.EncodeToString(mac.Sum(nil))
}

// newEvent starts an event for the caller and request in ctx.
func newEvent(ctx context.Context, action, objectType string, objectID int64) *healthcare.AuditEvent {
	info := healthcare.RequestInfoFromContext(ctx)
	return &healthcare.AuditEvent{
		ActorID: healthcare.UserIDFromContext(ctx), Action: action, ObjectType: objectType, ObjectID: objectID,
		Outcome: healthcare.OutcomeOK, ClientAddr: info.ClientAddr, RequestID: info.RequestID,
	}
}

// recordFailure records the event of an action that failed with err and
// returns err. Unexpected errors are not recorded: the database that would
// hold the event is the likely cause, and the request id is in the log.
func (a *auditor) recordFailure(ctx context.Context, ev *healthcare.AuditEvent, err error) error {
	if healthcare.ErrorCode(err) == healthcare.EINTERNAL {
		return err
	}
	ev.Outcome = healthcare.OutcomeOf(err)
	if aerr := a.record(ctx, ev); aerr != nil {
		// The refusal is answered only once it is on record: otherwise a
		// probe, or a password guess, would leave no trace while the
		// database cannot be written. The client gets the audit's failure
		// (a 503 when the database is out), not the refusal.
		return fmt.Errorf("record %s (%s): %w", ev.Action, ev.Outcome, aerr)
	}
	return err
}
