package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// djangoSource is a Django design's database, read in one read-only
// transaction so that the check and the copy see the same rows while its
// server may still be writing.
type djangoSource struct {
	db          *sql.DB
	tx          *sql.Tx
	engine      string // "postgres" or "sqlite"
	fingerprint string // engine, host and database; never credentials
}

// openDjangoSource opens a postgres:// or sqlite:// URL for reading.
func openDjangoSource(ctx context.Context, src string) (*djangoSource, error) {
	s := &djangoSource{}
	var driverName, dsn string
	switch {
	case strings.HasPrefix(src, "postgres://"), strings.HasPrefix(src, "postgresql://"):
		u, err := url.Parse(src)
		if err != nil {
			return nil, fmt.Errorf("source URL: %w", redactURLError(err))
		}
		host := u.Host
		if host == "" {
			host = "localhost"
		}
		s.engine, driverName, dsn = "postgres", "pgx", src
		s.fingerprint = "postgres " + host + "/" + strings.TrimPrefix(u.Path, "/")
	case strings.HasPrefix(src, "sqlite://"):
		path := strings.TrimPrefix(src, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" || path == "/" {
			return nil, fmt.Errorf("source URL: sqlite URL has no file path")
		}
		// Read-only: the import never writes to its source.
		s.engine, driverName = "sqlite", "sqlite"
		dsn = "file:" + path + "?mode=ro&_pragma=busy_timeout(5000)"
		s.fingerprint = "sqlite " + path
	default:
		return nil, fmt.Errorf("source URL: unsupported scheme (want postgres:// or sqlite:///path)")
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open source: %w", err)
	}
	db.SetMaxOpenConns(1)
	opts := &sql.TxOptions{ReadOnly: true}
	if s.engine == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open source %s: %w", s.fingerprint, err)
	}
	s.db, s.tx = db, tx
	return s, nil
}

// redactURLError drops the URL from a parse error: it may hold a password.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func (s *djangoSource) close() {
	_ = s.tx.Rollback()
	_ = s.db.Close()
}

// The source's tables with their columns, and its foreign keys, from
// each engine's catalog.
const (
	pgColumnsSQL = `SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	pgForeignKeysSQL = `SELECT cl.relname, a.attname, rc.relname
FROM pg_constraint c
JOIN pg_class cl ON cl.oid = c.conrelid
JOIN pg_class rc ON rc.oid = c.confrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND n.nspname = current_schema()`
	liteColumnsSQL = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
WHERE m.type = 'table' ORDER BY m.name, p.cid`
	liteForeignKeysSQL = `SELECT m.name, f."from", f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table'`
)

// schema is what the source holds: each table's columns, and the table
// each foreign-key column points to.
type schema struct {
	columns map[string][]string
	refs    map[string]map[string]string // table → column → referenced table
}

func (s *djangoSource) schema(ctx context.Context) (*schema, error) {
	colsSQL, fkSQL := pgColumnsSQL, pgForeignKeysSQL
	if s.engine == "sqlite" {
		colsSQL, fkSQL = liteColumnsSQL, liteForeignKeysSQL
	}
	sc := &schema{columns: map[string][]string{}, refs: map[string]map[string]string{}}
	err := eachStrings(ctx, s.tx, colsSQL, func(v []string) {
		sc.columns[v[0]] = append(sc.columns[v[0]], v[1])
	})
	if err != nil {
		return nil, fmt.Errorf("read source columns: %w", err)
	}
	err = eachStrings(ctx, s.tx, fkSQL, func(v []string) {
		if sc.refs[v[0]] == nil {
			sc.refs[v[0]] = map[string]string{}
		}
		sc.refs[v[0]][v[1]] = v[2]
	})
	if err != nil {
		return nil, fmt.Errorf("read source foreign keys: %w", err)
	}
	return sc, nil
}

func eachStrings(ctx context.Context, tx *sql.Tx, query string, fn func([]string)) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	v := make([]string, len(cols))
	dest := make([]any, len(cols))
	for i := range v {
		dest[i] = &v[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

func (sc *schema) has(table string, cols ...string) bool {
	have := sc.columns[table]
	if have == nil {
		return false
	}
	for _, c := range cols {
		if !slices.Contains(have, c) {
			return false
		}
	}
	return true
}

// DjangoTables names the source's tables; an empty name is found by its
// columns.
type DjangoTables struct {
	Users, Patients, Doctors, Assignments string
	// PatientOwner is the patients' column that points to the users table
	// (created_by_id in the design); found by its foreign key.
	PatientOwner string
}

var (
	userColumnsRequired       = []string{"id", "username", "email", "password", "is_active"}
	patientColumnsRequired    = []string{"id", "first_name", "last_name", "email", "dob", "notes"}
	doctorColumnsRequired     = []string{"id", "first_name", "last_name", "email", "specialization"}
	assignmentColumnsRequired = []string{"id", "patient_id", "doctor_id"}
	ownerColumnGuesses        = []string{"created_by_id", "owner_id", "user_id"}
)

// discover fills in the tables t leaves empty, recognising them by their
// columns rather than by a model name, and checks the ones it names.
func (sc *schema) discover(t DjangoTables) (DjangoTables, error) {
	find := func(kind, flag string, named *string, cols []string, extra func(string) bool) error {
		if *named != "" {
			if !sc.has(*named, cols...) {
				return fmt.Errorf("%s table %q: not found, or lacks one of the columns %s", kind, *named, strings.Join(cols, ", "))
			}
			return nil
		}
		var found []string
		for table := range sc.columns {
			if sc.has(table, cols...) && (extra == nil || extra(table)) {
				found = append(found, table)
			}
		}
		sort.Strings(found)
		switch len(found) {
		case 1:
			*named = found[0]
			return nil
		case 0:
			return fmt.Errorf("no %s table found (columns %s); name it with %s", kind, strings.Join(cols, ", "), flag)
		}
		return fmt.Errorf("%d tables look like %s (%s); name one with %s", len(found), kind, strings.Join(found, ", "), flag)
	}
	if t.Users == "" && sc.has("auth_user", userColumnsRequired...) {
		t.Users = "auth_user"
	}
	if err := find("users", "--users-table", &t.Users, userColumnsRequired, nil); err != nil {
		return t, err
	}
	if err := find("patients", "--patients-table", &t.Patients, patientColumnsRequired,
		func(table string) bool { return sc.ownerColumn(table, t.Users) != "" }); err != nil {
		return t, err
	}
	if t.PatientOwner = sc.ownerColumn(t.Patients, t.Users); t.PatientOwner == "" {
		return t, fmt.Errorf("patients table %q: no column points to %q", t.Patients, t.Users)
	}
	if err := find("doctors", "--doctors-table", &t.Doctors, doctorColumnsRequired, nil); err != nil {
		return t, err
	}
	err := find("assignments", "--assignments-table", &t.Assignments, assignmentColumnsRequired, nil)
	return t, err
}

// ownerColumn is the column of table that points to users: a foreign key
// if the source declares one, else a conventional name.
func (sc *schema) ownerColumn(table, users string) string {
	var byKey []string
	for col, ref := range sc.refs[table] {
		if ref == users {
			byKey = append(byKey, col)
		}
	}
	if len(byKey) == 1 {
		return byKey[0]
	}
	for _, c := range ownerColumnGuesses {
		if sc.has(table, c) && (len(byKey) == 0 || slices.Contains(byKey, c)) {
			return c
		}
	}
	return ""
}

// column is col if table has it, else fallback: optional columns of the
// design (a custom user model may lack is_superuser or date_joined).
func (sc *schema) column(table, col, fallback string) string {
	if sc.has(table, col) {
		return quoteIdent(col)
	}
	return fallback
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// srcTime scans a timestamp or date as either engine returns it: a
// time.Time, or Django's SQLite text. NULL is the zero time.
type srcTime struct{ time.Time }

var srcTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999", time.DateOnly,
}

func (t *srcTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case time.Time:
		t.Time = v.UTC().Truncate(time.Microsecond)
		return nil
	case []byte:
		return t.Scan(string(v))
	case string:
		for _, layout := range srcTimeLayouts {
			if p, err := time.Parse(layout, v); err == nil {
				t.Time = p.UTC().Truncate(time.Microsecond)
				return nil
			}
		}
		return fmt.Errorf("not a time: %q", v)
	}
	return fmt.Errorf("not a time: %T", v)
}

// srcBool scans a boolean, or SQLite's 0 and 1.
type srcBool bool

func (b *srcBool) Scan(v any) error {
	x, err := driver.Bool.ConvertValue(v)
	if err != nil {
		return err
	}
	*b = srcBool(x.(bool))
	return nil
}

// The source's rows, as the design's models have them.
type (
	srcUser struct {
		ID                                     int64
		Username, Email, Password, First, Last string
		IsActive, IsStaff, IsSuperuser         srcBool
		DateJoined                             srcTime
	}
	srcPatient struct {
		ID, OwnerID               int64
		First, Last, Email, Notes string
		DOB, CreatedAt, UpdatedAt srcTime
	}
	srcDoctor struct {
		ID                                 int64
		First, Last, Email, Specialization string
		CreatedAt, UpdatedAt               srcTime
	}
	srcAssignment struct {
		ID, PatientID, DoctorID int64
		CreatedAt               srcTime
	}
)

// djangoQueries are the SELECTs of the four tables found, in id order.
type djangoQueries struct{ users, patients, doctors, assignments, countPatients string }

func (sc *schema) queries(t DjangoTables) djangoQueries {
	q := func(table string, cols ...string) string {
		return "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteIdent(table) + " ORDER BY id"
	}
	u, p, d, a := t.Users, t.Patients, t.Doctors, t.Assignments
	return djangoQueries{
		users: q(u, "id", "username", "email", "password", sc.column(u, "first_name", "''"), sc.column(u, "last_name", "''"),
			"is_active", sc.column(u, "is_staff", "0"), sc.column(u, "is_superuser", "0"), sc.column(u, "date_joined", "NULL")),
		patients: q(p, "id", quoteIdent(t.PatientOwner), "first_name", "last_name", "email", "notes", "dob",
			sc.column(p, "created_at", "NULL"), sc.column(p, "updated_at", "NULL")),
		doctors: q(d, "id", "first_name", "last_name", "email", "specialization",
			sc.column(d, "created_at", "NULL"), sc.column(d, "updated_at", "NULL")),
		assignments:   q(a, "id", "patient_id", "doctor_id", sc.column(a, "created_at", "NULL")),
		countPatients: "SELECT count(*) FROM " + quoteIdent(p),
	}
}

// each runs query on the source and calls fn with each row scanned into dest.
func (s *djangoSource) each(ctx context.Context, query string, dest []any, fn func() error) error {
	rows, err := s.tx.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("read source: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read source: %w", err)
		}
		if err := fn(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read source: %w", err)
	}
	return nil
}

func (s *djangoSource) eachUser(ctx context.Context, q djangoQueries, fn func(*srcUser) error) error {
	var u srcUser
	return s.each(ctx, q.users, []any{&u.ID, &u.Username, &u.Email, &u.Password, &u.First, &u.Last,
		&u.IsActive, &u.IsStaff, &u.IsSuperuser, &u.DateJoined}, func() error { return fn(&u) })
}

func (s *djangoSource) eachPatient(ctx context.Context, q djangoQueries, fn func(*srcPatient) error) error {
	var p srcPatient
	return s.each(ctx, q.patients, []any{&p.ID, &p.OwnerID, &p.First, &p.Last, &p.Email, &p.Notes, &p.DOB,
		&p.CreatedAt, &p.UpdatedAt}, func() error { return fn(&p) })
}

func (s *djangoSource) eachDoctor(ctx context.Context, q djangoQueries, fn func(*srcDoctor) error) error {
	var d srcDoctor
	return s.each(ctx, q.doctors, []any{&d.ID, &d.First, &d.Last, &d.Email, &d.Specialization,
		&d.CreatedAt, &d.UpdatedAt}, func() error { return fn(&d) })
}

func (s *djangoSource) eachAssignment(ctx context.Context, q djangoQueries, fn func(*srcAssignment) error) error {
	var a srcAssignment
	return s.each(ctx, q.assignments, []any{&a.ID, &a.PatientID, &a.DoctorID, &a.CreatedAt},
		func() error { return fn(&a) })
}
