package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// TestReady: a database that cannot be written is not ready. The store
// notices a page limit reached before any write fails, and a read-only
// database once a write has failed; it is ready again once a probe write
// passes, at least a hold after the last failure.
func TestReady(t *testing.T) {
	for _, tt := range []struct {
		name, engine    string
		breaks, repairs string
		noticedAtOnce   bool // before any write fails
	}{
		{"sqlite read-only", "sqlite", "PRAGMA query_only = 1", "PRAGMA query_only = 0", false},
		{"sqlite page limit", "sqlite", "PRAGMA max_page_count = 1", "PRAGMA max_page_count = 4294967294", true},
		{"postgres read-only", "postgres", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
			"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := sqlstoretest.URL(t, tt.engine)
			sqlstoretest.Open(t, url) // migrate
			// One connection, so that a per-connection setting is the store's.
			db, err := sqlstore.Open(ctx, url, sqlstore.Options{MaxOpenConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			base := time.Now()
			var skew atomic.Int64
			db.Now = func() time.Time { return base.Add(time.Duration(skew.Load())) }
			patients := sqlstore.NewPatientService(db)
			owner := as(insertUser(t, db, "owner"))
			n := 0
			create := func() error {
				n++
				return patients.CreatePatient(owner, &healthcare.Patient{FirstName: "F", LastName: "L",
					Email: fmt.Sprintf("p%d@example.com", n), DOB: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
			}
			if err := db.Ready(ctx); err != nil {
				t.Fatalf("Ready() of a fresh database = %v", err)
			}
			if err := db.ExecForTest(ctx, tt.breaks); err != nil {
				t.Fatal(err)
			}
			if err := db.Ready(ctx); (err != nil) != tt.noticedAtOnce {
				t.Errorf("Ready() before any write failed = %v, want an error: %v", err, tt.noticedAtOnce)
			}
			// Rows still fit in the pages there are: write until one does not.
			for i := 0; err == nil && i < 1000; i++ {
				err = create()
			}
			if !sqlstore.IsUnavailable(err) || !sqlstore.IsStorageFailure(err) {
				t.Fatalf("create once the database cannot be written = %v, want a storage failure", err)
			}
			if err := db.Ready(ctx); err == nil {
				t.Error("Ready() after a write failed = nil")
			}
			if err := db.ExecForTest(ctx, tt.repairs); err != nil {
				t.Fatal(err)
			}
			if err := create(); err != nil {
				t.Fatalf("create once repaired = %v", err)
			}
			if err := db.Ready(ctx); err == nil {
				t.Error("Ready() within the hold after the failure = nil")
			}
			skew.Store(int64(sqlstore.MinStorageHold))
			if err := db.Ready(ctx); err != nil {
				t.Errorf("Ready() a hold after the failure, repaired = %v", err)
			}
		})
	}
}

func TestCheckDisk(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checkDisk measures only on Linux")
	}
	dir := t.TempDir()
	if err := sqlstore.CheckDisk(dir, 0); err != nil {
		t.Errorf("CheckDisk(%s, 0) = %v", dir, err)
	}
	if err := sqlstore.CheckDisk(dir, 1<<62); err == nil {
		t.Errorf("CheckDisk(%s, 4 EiB) = nil, want too little free", dir)
	}
	if err := sqlstore.CheckDisk(filepath.Join(dir, "gone"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CheckDisk(missing directory) = %v, want not exist", err)
	}
}
