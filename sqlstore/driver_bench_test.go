package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// cpuTime is the CPU this process has used, user and system: on shared
// cores, the driver's cost is the CPU it takes, not the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDriver runs the patient read's query and a page of the patient
// list through database/sql over pgx (what the store uses), through pgx's
// own rows on database/sql's connection (Conn.Raw), and through pgxpool,
// with 64 goroutines on 16 connections as the server runs under the load
// benchmark. All cache the prepared statement and use the binary protocol;
// what differs is the layer between.
func BenchmarkDriver(b *testing.B) {
	url := sqlstoretest.PostgresURL(b)
	db := sqlstoretest.Open(b, url)
	ownerID := insertUser(b, db, "driver")
	ids := createPatients(b, sqlstore.NewPatientService(db), as(ownerID), 200)
	const query = `SELECT id, owner_id, first_name, last_name, email, dob, notes, created_at, updated_at, version
FROM patients WHERE id = $1 AND owner_id = $2`
	type row interface{ Scan(...any) error }
	run := func(b *testing.B, queryRow func(ctx context.Context, id int64) row) {
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.ReportAllocs()
		before := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op") }()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			var p healthcare.Patient
			i := 0
			for pb.Next() {
				i++
				err := queryRow(ctx, ids[i%len(ids)]).Scan(&p.ID, &p.OwnerID, &p.FirstName, &p.LastName, &p.Email, &p.DOB,
					&p.Notes, &p.CreatedAt, &p.UpdatedAt, &p.Version)
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	const pageQuery = `SELECT id, owner_id, first_name, last_name, email, dob, notes, created_at, updated_at, version, count(*) OVER ()
FROM patients WHERE owner_id = $1 ORDER BY id LIMIT 20 OFFSET 20`
	type rows interface {
		Next() bool
		Scan(...any) error
		Err() error
	}
	scanPage := func(rs rows) error {
		n := 0
		for rs.Next() {
			var p healthcare.Patient
			var count int
			if err := rs.Scan(&p.ID, &p.OwnerID, &p.FirstName, &p.LastName, &p.Email, &p.DOB,
				&p.Notes, &p.CreatedAt, &p.UpdatedAt, &p.Version, &count); err != nil {
				return err
			}
			n++
		}
		if n != 20 {
			return fmt.Errorf("page of %d rows", n)
		}
		return rs.Err()
	}
	runPage := func(b *testing.B, page func(ctx context.Context) error) {
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.ReportAllocs()
		before := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op") }()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := page(context.Background()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	std, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer std.Close()
	std.SetMaxOpenConns(16)
	std.SetMaxIdleConns(16)
	b.Run("page/database/sql", func(b *testing.B) {
		runPage(b, func(ctx context.Context) error {
			rs, err := std.QueryContext(ctx, pageQuery, ownerID)
			if err != nil {
				return err
			}
			defer rs.Close()
			return scanPage(rs)
		})
	})
	b.Run("page/conn.Raw", func(b *testing.B) {
		runPage(b, func(ctx context.Context) error {
			c, err := std.Conn(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Raw(func(dc any) error {
				rs, err := dc.(*stdlib.Conn).Conn().Query(ctx, pageQuery, ownerID)
				if err != nil {
					return err
				}
				defer rs.Close()
				return scanPage(rs)
			})
		})
	})
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	b.Run("page/pgxpool", func(b *testing.B) {
		runPage(b, func(ctx context.Context) error {
			rs, err := pool.Query(ctx, pageQuery, ownerID)
			if err != nil {
				return err
			}
			defer rs.Close()
			return scanPage(rs)
		})
	})
	b.Run("row/database/sql", func(b *testing.B) {
		run(b, func(ctx context.Context, id int64) row { return std.QueryRowContext(ctx, query, id, ownerID) })
	})
	b.Run("row/pgxpool", func(b *testing.B) {
		run(b, func(ctx context.Context, id int64) row { return pool.QueryRow(ctx, query, id, ownerID) })
	})
}
