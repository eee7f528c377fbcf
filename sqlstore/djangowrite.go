package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/clinicapi/healthcare"
)

// The columns the import fills, as a registration, a create or the
// migrations fill them; the others keep their defaults (no password
// change yet, credentials version 0, as Django's tokens carry).
var (
	importUserColumns = []string{"id", "username", "username_key", "email", "email_key", "first_name", "last_name",
		"password_hash", "is_active", "is_staff", "date_joined"}
	importNameColumns    = []string{"name_key", "user_id"}
	importDoctorColumns  = []string{"id", "first_name", "last_name", "email", "email_key", "specialization", "specialization_key", "search_key", "created_at", "updated_at"}
	importPatientColumns = []string{"id", "owner_id", "first_name", "last_name", "email", "email_key", "dob", "notes",
		"search_key", "version", "created_at", "updated_at"}
	importAssignmentColumns = []string{"id", "patient_id", "doctor_id", "owner_id", "created_at"}
)

// write copies the new rows in one transaction, moves the id sequences
// past them, and records the import in the audit trail. An interrupted
// import leaves nothing behind.
func (imp *djangoImport) write(ctx context.Context) (err error) {
	defer func() { imp.db.noteWrite(err) }()
	conn, err := imp.db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import: begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if imp.db.dialect == sqliteDialect {
		// SQLite's default page cache is 2 MiB: an index of a million
		// rows, filled in id order but keyed otherwise, would be read back
		// from the file for nearly every row.
		// The connection goes back to the pool with its own size after.
		var size int64
		if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&size); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = `+strconv.FormatInt(size, 10))
		}()
	}
	w := &tableWriter{conn: conn, tx: tx, pg: imp.db.dialect == postgresDialect, progress: imp.opt.Progress}
	now := imp.now
	var names [][]any
	steps := []struct {
		table   string
		columns []string
		rows    func(emit func([]any) error) error
	}{
		{"users", importUserColumns, func(emit func([]any) error) error {
			return imp.src.eachUser(ctx, imp.q, func(u *srcUser) error {
				if _, ok := imp.tgt.users[u.ID]; ok {
					return nil
				}
				username, email := healthcare.Fold(u.Username), healthcare.Fold(u.Email)
				for _, n := range slices.Compact([]string{username, email}) {
					names = append(names, []any{n, u.ID})
				}
				return emit([]any{u.ID, u.Username, username, u.Email, email, u.First, u.Last, u.Password,
					bool(u.IsActive), bool(u.IsStaff || u.IsSuperuser), orTime(u.DateJoined.Time, now)})
			})
		}},
		{"login_names", importNameColumns, func(emit func([]any) error) error {
			for _, n := range names {
				if err := emit(n); err != nil {
					return err
				}
			}
			return nil
		}},
		{"doctors", importDoctorColumns, func(emit func([]any) error) error {
			return imp.src.eachDoctor(ctx, imp.q, func(sd *srcDoctor) error {
				if _, ok := imp.tgt.doctors[sd.ID]; ok {
					return nil
				}
				d := sd.doctor(now)
				return emit([]any{d.ID, d.FirstName, d.LastName, d.Email, healthcare.Fold(d.Email), d.Specialization,
					healthcare.Fold(d.Specialization), doctorSearchKey(d), d.CreatedAt, d.UpdatedAt})
			})
		}},
		{"patients", importPatientColumns, func(emit func([]any) error) error {
			return imp.src.eachPatient(ctx, imp.q, func(sp *srcPatient) error {
				if _, ok := imp.tgt.patients[sp.ID]; ok {
					return nil
				}
				p := sp.patient(now)
				return emit([]any{p.ID, p.OwnerID, p.FirstName, p.LastName, p.Email, healthcare.Fold(p.Email), p.DOB,
					p.Notes, patientSearchKey(p), int64(1), p.CreatedAt, p.UpdatedAt})
			})
		}},
		{"assignments", importAssignmentColumns, func(emit func([]any) error) error {
			return imp.src.eachAssignment(ctx, imp.q, func(a *srcAssignment) error {
				if _, ok := imp.tgt.assignments[a.ID]; ok || imp.skip[a.ID] {
					return nil
				}
				return emit([]any{a.ID, a.PatientID, a.DoctorID, imp.patientOwner[a.PatientID], orTime(a.CreatedAt.Time, now)})
			})
		}},
	}
	for _, s := range steps {
		total := int64(len(names))
		if s.table != "login_names" {
			total = imp.count(s.table).New
		}
		var again []string
		if total >= bulkRows && imp.emptyHere(s.table) {
			if again, err = imp.db.dialect.dropIndexes(ctx, tx, s.table); err != nil {
				return fmt.Errorf("import %s: %w", s.table, err)
			}
		}
		if err := w.copy(ctx, s.table, s.columns, total, s.rows); err != nil {
			return err
		}
		for _, stmt := range again {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("import %s: build indexes: %w", s.table, err)
			}
		}
	}
	h := handle{pool: imp.db.db, tx: tx}
	for _, table := range []string{"users", "doctors", "patients", "assignments"} {
		if _, err := h.exec(ctx, imp.db.dialect.sequenceSQL(table)); err != nil {
			return fmt.Errorf("import: move %s id sequence: %w", table, err)
		}
	}
	ev := newEvent(ctx, healthcare.ActionImportDjango, "import", 0)
	ev.Detail = imp.report.auditDetail()
	if err := imp.db.audit.insertTx(ctx, h, ev); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	return nil
}

// emptyHere reports whether table held no rows before the import.
func (imp *djangoImport) emptyHere(table string) bool {
	switch table {
	case "users", "login_names":
		return len(imp.tgt.users) == 0
	case "doctors":
		return len(imp.tgt.doctors) == 0
	case "patients":
		return len(imp.tgt.patients) == 0
	case "assignments":
		return len(imp.tgt.assignments) == 0
	}
	return false
}

// auditDetail is the import's event detail: the source's fingerprint and
// the counts, nothing that names a person.
func (r *DjangoImportReport) auditDetail() string {
	parts := []string{"source=" + r.Source}
	for _, c := range r.Counts {
		parts = append(parts, fmt.Sprintf("%s: new=%d unchanged=%d changed=%d skipped=%d",
			c.Table, c.New, c.Unchanged, c.Changed, c.Skipped))
	}
	return strings.Join(parts, "; ")
}

// tableWriter copies rows into the target's tables inside one
// transaction: by COPY on PostgreSQL, by multi-row INSERTs on SQLite.
type tableWriter struct {
	conn     *sql.Conn
	tx       *sql.Tx
	pg       bool
	progress func(table string, done, total int64)
}

// copyBatch is how many rows travel together from the source reader to
// the writer, and the most one SQLite INSERT carries (its statements take
// at most 32766 parameters).
const copyBatch = 1000

// copy writes the rows that rows emits into table. The source is read on
// its own goroutine, so that reading and converting overlap with writing.
func (w *tableWriter) copy(ctx context.Context, table string, columns []string, total int64,
	rows func(emit func([]any) error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 4)
	produced := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([][]any, 0, copyBatch)
		send := func() error {
			select {
			case batches <- batch:
				batch = make([][]any, 0, copyBatch)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := rows(func(row []any) error {
			batch = append(batch, row)
			if len(batch) == copyBatch {
				return send()
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			err = send()
		}
		produced <- err
	}()
	var done int64
	report := func(n int) {
		done += int64(n)
		if w.progress != nil {
			w.progress(table, done, total)
		}
	}
	var err error
	if w.pg {
		err = w.copyPostgres(ctx, table, columns, batches, report)
	} else {
		err = w.insertSQLite(ctx, table, columns, batches, report)
	}
	if err != nil {
		cancel()
		for range batches { // let the reader see the cancellation and stop
		}
		<-produced
		return fmt.Errorf("import %s: %w", table, err)
	}
	if err := <-produced; err != nil {
		return fmt.Errorf("import %s: %w", table, err)
	}
	return nil
}

func (w *tableWriter) copyPostgres(ctx context.Context, table string, columns []string, batches <-chan [][]any, report func(int)) error {
	src := &batchSource{batches: batches, report: report}
	return w.conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, src)
		return err
	})
}

// batchSource feeds COPY from the reader's batches.
type batchSource struct {
	batches <-chan [][]any
	batch   [][]any
	i       int
	report  func(int)
}

func (s *batchSource) Next() bool {
	s.i++
	for s.i >= len(s.batch) {
		if len(s.batch) > 0 {
			s.report(len(s.batch))
		}
		b, ok := <-s.batches
		if !ok {
			s.batch = nil
			return false
		}
		s.batch, s.i = b, 0
	}
	return true
}

func (s *batchSource) Values() ([]any, error) { return s.batch[s.i], nil }
func (s *batchSource) Err() error             { return nil }

func (w *tableWriter) insertSQLite(ctx context.Context, table string, columns []string, batches <-chan [][]any, report func(int)) error {
	var full *sql.Stmt // the statement of a whole batch, prepared once
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for batch := range batches {
		args := make([]any, 0, len(batch)*len(columns))
		for _, row := range batch {
			args = append(args, row...)
		}
		var err error
		if len(batch) == copyBatch {
			if full == nil {
				if full, err = w.tx.PrepareContext(ctx, insertRowsSQL(table, columns, copyBatch)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = w.tx.ExecContext(ctx, insertRowsSQL(table, columns, len(batch)), args...)
		}
		if err != nil {
			return err
		}
		report(len(batch))
	}
	return ctx.Err()
}
