package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// fixture is two users with a patient each, a doctor, and an assignment of
// the first user's patient.
type fixture struct {
	db               *sqlstore.DB
	patients         *sqlstore.PatientService
	doctors          *sqlstore.DoctorService
	assignments      *sqlstore.AssignmentService
	alice, bob       context.Context
	alicePat, bobPat *healthcare.Patient
	doctor           *healthcare.Doctor
	aliceAssignment  *healthcare.Assignment
	clock            time.Time
}

func as(id int64) context.Context {
	return healthcare.NewContextWithUser(context.Background(), &healthcare.User{ID: id})
}

// insertUser makes an account directly; the auth flow has tests of its own.
func insertUser(t testing.TB, db *sqlstore.DB, name string) int64 {
	t.Helper()
	auth := sqlstore.NewAuthService(db, plainHasher{}, noPolicy{}, nil)
	u, err := auth.Register(context.Background(), healthcare.Registration{Username: name, Email: name + "@example.com", Password: "x"})
	if err != nil {
		t.Fatalf("Register(%s): %v", name, err)
	}
	return u.ID
}

type plainHasher struct{}

func (plainHasher) Hash(p string) (string, error)    { return "plain:" + p, nil }
func (plainHasher) Verify(h, p string) (bool, error) { return h == "plain:"+p, nil }
func (plainHasher) VerifyDummy(string) error         { return nil }
func (plainHasher) NeedsRehash(string) bool          { return false }

type noPolicy struct{}

func (noPolicy) Check(string, healthcare.Registration) []string { return nil }

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, patients: sqlstore.NewPatientService(db), doctors: sqlstore.NewDoctorService(db),
		assignments: sqlstore.NewAssignmentService(db)}
	// A fixed clock with sub-microsecond noise: stored and returned times
	// must agree exactly on both engines.
	f.clock = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))
	db.Now = func() time.Time { return f.clock }
	f.alice, f.bob = as(insertUser(t, db, "alice")), as(insertUser(t, db, "bob"))
	f.alicePat = &healthcare.Patient{FirstName: "A", LastName: "P", Email: "a@p.com", DOB: time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC)}
	f.bobPat = &healthcare.Patient{FirstName: "B", LastName: "P", Email: "b@p.com", DOB: time.Date(1991, 1, 2, 0, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		ctx context.Context
		p   *healthcare.Patient
	}{{f.alice, f.alicePat}, {f.bob, f.bobPat}} {
		if err := f.patients.CreatePatient(c.ctx, c.p, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.doctor = &healthcare.Doctor{FirstName: "D", LastName: "R", Email: "d@r.com", Specialization: "GP"}
	if err := f.doctors.CreateDoctor(f.alice, f.doctor, nil); err != nil {
		t.Fatal(err)
	}
	f.aliceAssignment = &healthcare.Assignment{PatientID: f.alicePat.ID, DoctorID: f.doctor.ID}
	if err := f.assignments.CreateAssignment(f.alice, f.aliceAssignment, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTimestampsRoundTripExactly(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		want := f.clock.UTC().Truncate(time.Microsecond)
		got, err := f.patients.FindPatientByID(f.alice, f.alicePat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC || !got.UpdatedAt.Equal(want) {
			t.Errorf("CreatedAt = %v, UpdatedAt = %v, want %v UTC", got.CreatedAt, got.UpdatedAt, want)
		}
		if diff := cmp.Diff(f.alicePat, got); diff != "" {
			t.Errorf("FindPatientByID mismatch (-created +found):\n%s", diff)
		}
	})
}

// TestOwnerScoping calls every owner-scoped method with the other user's
// object: each must answer ENOTFOUND and change nothing.
func TestOwnerScoping(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		name := "Mallory"
		calls := map[string]func() error{
			"FindPatientByID": func() error { _, err := f.patients.FindPatientByID(f.bob, f.alicePat.ID); return err },
			"UpdatePatient": func() error {
				_, err := f.patients.UpdatePatient(f.bob, f.alicePat.ID, healthcare.PatientUpdate{FirstName: &name}, nil)
				return err
			},
			"DeletePatient": func() error { return f.patients.DeletePatient(f.bob, f.alicePat.ID, nil) },
			"FindDoctorsOfPatient": func() error {
				_, _, err := f.assignments.FindDoctorsOfPatient(f.bob, f.alicePat.ID, healthcare.ListOptions{Page: 1, PageSize: 20})
				return err
			},
			"DeleteAssignment": func() error { return f.assignments.DeleteAssignment(f.bob, f.aliceAssignment.ID) },
		}
		for name, call := range calls {
			if code := healthcare.ErrorCode(call()); code != healthcare.ENOTFOUND {
				t.Errorf("%s as another owner: code %q, want %q", name, code, healthcare.ENOTFOUND)
			}
		}
		err := f.assignments.CreateAssignment(f.bob, &healthcare.Assignment{PatientID: f.alicePat.ID, DoctorID: f.doctor.ID}, nil)
		if code := healthcare.ErrorCode(err); code != healthcare.EINVALID {
			t.Errorf("CreateAssignment on another's patient: code %q, want invalid", code)
		}
		list, total, err := f.patients.FindPatients(f.bob, healthcare.ListOptions{Page: 1, PageSize: 20})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != f.bobPat.ID {
			t.Errorf("FindPatients as bob = %v, %d, %v; want only bob's", list, total, err)
		}
		as, total, err := f.assignments.FindAssignments(f.bob, healthcare.ListOptions{Page: 1, PageSize: 20})
		if err != nil || total != 0 || len(as) != 0 {
			t.Errorf("FindAssignments as bob = %v, %d, %v; want none", as, total, err)
		}
		got, err := f.patients.FindPatientByID(f.alice, f.alicePat.ID)
		if err != nil || got.FirstName != "A" {
			t.Errorf("alice's patient after bob's attempts = %v, %v", got, err)
		}
		// Without a user in the context, nothing is found at all.
		if _, err := f.patients.FindPatientByID(context.Background(), f.alicePat.ID); healthcare.ErrorCode(err) != healthcare.ENOTAUTHENTICATED {
			t.Errorf("FindPatientByID without a user: %v", err)
		}
	})
}

// TestConcurrentUpdatesWithoutIfMatch: plain concurrent writes are applied
// one after the other, never refused (only If-Match asks for that).
func TestConcurrentUpdatesWithoutIfMatch(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				notes := fmt.Sprint(i)
				_, errs[i] = f.patients.UpdatePatient(f.alice, f.alicePat.ID, healthcare.PatientUpdate{Notes: &notes}, nil)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("update %d: %v", i, err)
			}
		}
		got, err := f.patients.FindPatientByID(f.alice, f.alicePat.ID)
		if err != nil || got.Version != 1+n {
			t.Errorf("version after %d updates = %v (%v), want %d", n, got.Version, err, 1+n)
		}
	})
}

// TestConcurrentIfMatchOneWins: two editors holding the same version race;
// exactly one write lands.
func TestConcurrentIfMatchOneWins(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		const n = 6
		var wg sync.WaitGroup
		codes := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				notes := fmt.Sprint(i)
				_, err := f.patients.UpdatePatient(f.alice, f.alicePat.ID, healthcare.PatientUpdate{Notes: &notes},
					&healthcare.IfMatch{Versions: []int64{1}})
				codes[i] = healthcare.ErrorCode(err)
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, c := range codes {
			switch c {
			case "":
				ok++
			case healthcare.EPRECONDITION:
				refused++
			}
		}
		if ok != 1 || refused != n-1 {
			t.Errorf("codes = %q, want one success and %d precondition_failed", codes, n-1)
		}
	})
}

func TestDeleteDoctorRaceWithAssignment(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		d := &healthcare.Doctor{FirstName: "E", LastName: "F", Email: "e@f.com", Specialization: "GP"}
		if err := f.doctors.CreateDoctor(f.alice, d, nil); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var assignErr, deleteErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			assignErr = f.assignments.CreateAssignment(f.alice, &healthcare.Assignment{PatientID: f.alicePat.ID, DoctorID: d.ID}, nil)
		}()
		go func() { defer wg.Done(); deleteErr = f.doctors.DeleteDoctor(f.bob, d.ID) }()
		wg.Wait()
		// Either order is fine; a 500 or both succeeding is not.
		switch {
		case assignErr == nil && healthcare.ErrorCode(deleteErr) == healthcare.EDOCTORASSIGNED:
		case deleteErr == nil && healthcare.ErrorCode(assignErr) == healthcare.EINVALID:
		default:
			t.Errorf("assign: %v; delete: %v", assignErr, deleteErr)
		}
	})
}

func TestDeleteExpired(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		th := sqlstore.NewThrottle(db)
		limit := healthcare.Limit{Requests: 1, Window: time.Minute}
		if err := th.Hit(ctx, "k", limit); err != nil {
			t.Fatal(err)
		}
		if err := th.Hit(ctx, "k", limit); healthcare.ErrorCode(err) != healthcare.ETHROTTLED {
			t.Fatalf("second hit = %v, want throttled", err)
		}
		clock = clock.Add(time.Hour)
		if err := db.DeleteExpired(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		// The counter is gone; a new window would have allowed it anyway,
		// so check the row count through a fresh hit in the old window.
		clock = clock.Add(-time.Hour)
		if err := th.Hit(ctx, "k", limit); err != nil {
			t.Errorf("hit after sweep = %v, want a fresh count", err)
		}
	})
}

// A limit holds over any window of its length, not per clock-aligned
// window: ten hits at the end of one minute and more at the start of the
// next are throttled, and the window before weighs less as it slides out.
func TestThrottleSlidingWindow(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clock := time.Date(2026, 1, 1, 12, 0, 59, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		th := sqlstore.NewThrottle(db)
		limit := healthcare.Limit{Requests: 10, Window: time.Minute}
		for i := range 10 {
			if err := th.Hit(ctx, "k", limit); err != nil {
				t.Fatalf("hit %d = %v", i+1, err)
			}
		}
		clock = clock.Add(2 * time.Second) // 12:01:01
		err := th.Hit(ctx, "k", limit)
		var e *healthcare.Error
		if !errors.As(err, &e) || e.Code != healthcare.ETHROTTLED {
			t.Fatalf("a hit just past the minute = %v, want throttled", err)
		}
		clock = clock.Add(e.RetryAfter) // as told
		if err := th.Hit(ctx, "k", limit); err != nil {
			t.Errorf("a hit after Retry-After (%v) = %v, want it through", e.RetryAfter, err)
		}
		clock = time.Date(2026, 1, 1, 12, 3, 0, 0, time.UTC) // two windows on: nothing weighs
		for i := range 10 {
			if err := th.Hit(ctx, "k", limit); err != nil {
				t.Fatalf("hit %d two windows on = %v", i+1, err)
			}
		}
	})
}
