package sqlstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestStaffRequiresStaff(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		annCtx := healthcare.NewContextWithUser(context.Background(), &healthcare.User{ID: c.ann, IsActive: true})
		_, _, err := c.staff.FindUsers(annCtx, healthcare.UserFilter{ListOptions: healthcare.ListOptions{Page: 1, PageSize: 10}})
		wantCode(t, "FindUsers", err, healthcare.EPERMISSION)
		_, err = c.staff.SetUserStaff(annCtx, c.ann, true)
		wantCode(t, "SetUserStaff", err, healthcare.EPERMISSION)
		_, err = c.staff.ReadPatient(annCtx, 1, "curious")
		wantCode(t, "ReadPatient", err, healthcare.EPERMISSION)
	})
}

func TestFindUsers(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		yes, no := true, false
		for _, tc := range []struct {
			f    healthcare.UserFilter
			want []string
		}{
			{healthcare.UserFilter{}, []string{"root", "ann"}},
			{healthcare.UserFilter{ListOptions: healthcare.ListOptions{Search: "ANN@"}}, []string{"ann"}},
			{healthcare.UserFilter{Staff: &yes}, []string{"root"}},
			{healthcare.UserFilter{Staff: &no, Active: &yes}, []string{"ann"}},
			{healthcare.UserFilter{Active: &no}, nil},
		} {
			tc.f.Page, tc.f.PageSize = 1, 10
			users, total, err := c.staff.FindUsers(c.rootCtx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range users {
				got = append(got, u.Username)
			}
			if len(got) != len(tc.want) || total != len(tc.want) {
				t.Errorf("FindUsers(%+v) = %v (%d), want %v", tc.f, got, total, tc.want)
				continue
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("FindUsers(%+v) = %v, want %v", tc.f, got, tc.want)
				}
			}
		}
	})
}

func TestLastStaff(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		_, err := c.staff.SetUserStaff(c.rootCtx, c.root, false)
		wantCode(t, "demote the last staff", err, healthcare.EINVALID)
		_, err = c.staff.SetUserActive(c.rootCtx, c.root, false)
		wantCode(t, "deactivate the last staff", err, healthcare.EINVALID)
		// Two staff demoting each other at once: one must stay.
		if _, err := c.staff.SetUserStaff(c.rootCtx, c.ann, true); err != nil {
			t.Fatal(err)
		}
		annCtx := healthcare.NewContextWithUser(context.Background(), &healthcare.User{ID: c.ann, IsStaff: true, IsActive: true})
		var (
			wg   sync.WaitGroup
			errs [2]error
		)
		for i, call := range []func() error{
			func() error { _, err := c.staff.SetUserStaff(c.rootCtx, c.ann, false); return err },
			func() error { _, err := c.staff.SetUserActive(annCtx, c.root, false); return err },
		} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = call() }()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("concurrent demotions: %v, %v; want exactly one refused", errs[0], errs[1])
		}
		yes := true
		_, n, err := c.staff.FindUsers(c.rootCtx, healthcare.UserFilter{ListOptions: healthcare.ListOptions{Page: 1, PageSize: 10}, Staff: &yes, Active: &yes})
		if err != nil || n != 1 {
			t.Fatalf("active staff after the race: %d, %v; want 1", n, err)
		}
	})
}

func TestDeactivateEndsAPIAccess(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		ctx := context.Background()
		pair, err := c.auth.Login(ctx, "ann", "pw")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.staff.SetUserActive(c.rootCtx, c.ann, false); err != nil {
			t.Fatal(err)
		}
		_, err = c.auth.Authenticate(ctx, pair.Access)
		wantCode(t, "Authenticate", err, healthcare.EUSERINACTIVE)
		if _, err := c.staff.SetUserActive(c.rootCtx, c.ann, true); err != nil {
			t.Fatal(err)
		}
		// Its refresh token stays revoked after reactivation, and so does
		// its access token: the account logs in again.
		_, err = c.auth.Refresh(ctx, pair.Refresh)
		wantCode(t, "Refresh", err, healthcare.ETOKENINVALID)
		_, err = c.auth.Authenticate(ctx, pair.Access)
		wantCode(t, "Authenticate after reactivation", err, healthcare.ETOKENINVALID)
		if _, err := c.auth.Login(ctx, "ann", "pw"); err != nil {
			t.Fatalf("login after reactivation: %v", err)
		}
	})
}

// A request that passed the session check while its account was staff,
// and acts after the account lost staff (or was deactivated), is refused:
// the rights are checked again inside the change's transaction.
func TestDemotedStaffCannotActOnStaleSession(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		bob, err := c.auth.CreateSuperuser(context.Background(), healthcare.Registration{Username: "bob", Email: "bob@example.com", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		bobCtx := healthcare.NewContextWithUser(context.Background(), bob) // as checked at the request's start
		if _, err := c.staff.SetUserStaff(c.rootCtx, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		_, err = c.staff.SetUserStaff(bobCtx, bob.ID, true)
		wantCode(t, "SetUserStaff by a demoted account", err, healthcare.EPERMISSION)
		_, err = c.staff.ReadPatient(bobCtx, 1, "still curious")
		wantCode(t, "ReadPatient by a demoted account", err, healthcare.EPERMISSION)
		err = c.staff.ExportEvents(bobCtx, healthcare.AuditFilter{}, func(*healthcare.AuditEvent) error { return nil })
		wantCode(t, "ExportEvents by a demoted account", err, healthcare.EPERMISSION)
		err = c.staff.ResetPassword(bobCtx, c.ann, "another-long-pw")
		wantCode(t, "ResetPassword by a demoted account", err, healthcare.EPERMISSION)
		u, err := c.staff.FindUserByID(c.rootCtx, bob.ID)
		if err != nil || u.IsStaff {
			t.Fatalf("bob after the refused self-grant: %+v, %v", u, err)
		}

		// Deactivated instead of demoted: the same.
		if _, err := c.staff.SetUserStaff(c.rootCtx, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := c.staff.SetUserActive(c.rootCtx, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		_, err = c.staff.SetUserActive(bobCtx, bob.ID, true)
		wantCode(t, "SetUserActive by a deactivated account", err, healthcare.EPERMISSION)
	})
}

func TestResetPassword(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		ctx := context.Background()
		pair, err := c.auth.Login(ctx, "ann", "pw")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.staff.ResetPassword(c.rootCtx, c.ann, "fresh"); err != nil {
			t.Fatal(err)
		}
		_, err = c.auth.Authenticate(ctx, pair.Access)
		wantCode(t, "Authenticate with the old token", err, healthcare.ETOKENINVALID)
		if _, err := c.auth.Login(ctx, "ann", "fresh"); err != nil {
			t.Fatalf("Login with the new password: %v", err)
		}
	})
}

func TestReadPatientWithReason(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		annCtx := healthcare.NewContextWithUser(context.Background(), &healthcare.User{ID: c.ann, IsActive: true})
		p := &healthcare.Patient{FirstName: "P", LastName: "Q", Email: "p@q.com", DOB: time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC)}
		if err := sqlstore.NewPatientService(db).CreatePatient(annCtx, p, nil); err != nil {
			t.Fatal(err)
		}
		_, err := c.staff.ReadPatient(c.rootCtx, p.ID, "  ")
		wantCode(t, "blank reason", err, healthcare.EINVALID)
		_, err = c.staff.ReadPatient(c.rootCtx, p.ID+1, "ticket 42")
		wantCode(t, "no such patient", err, healthcare.ENOTFOUND)
		got, err := c.staff.ReadPatient(c.rootCtx, p.ID, "ticket 42")
		if err != nil || got.Email != "p@q.com" {
			t.Fatalf("ReadPatient = %v, %v", got, err)
		}
		events, _, err := sqlstore.NewAuditService(db).FindEvents(annCtx, healthcare.AuditFilter{
			ListOptions: healthcare.ListOptions{Page: 1, PageSize: 10}, Action: healthcare.ActionPatientStaffRead})
		if err != nil || len(events) != 1 {
			t.Fatalf("owner's staff reads: %v, %v; want one", events, err)
		}
		if ev := events[0]; ev.ActorID != c.root || ev.Reason != "ticket 42" || ev.PatientID != p.ID {
			t.Errorf("event = %+v, want root's read of %d for ticket 42", ev, p.ID)
		}
	})
}

func TestDoctorVersionAndCount(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		c := newConsole(t, db)
		seen := f.doctor.UpdatedAt
		name := "Other"
		c.clock = c.clock.Add(time.Second)
		if _, err := f.doctors.UpdateDoctor(c.rootCtx, f.doctor.ID, healthcare.DoctorUpdate{FirstName: &name, IfUpdatedAt: &seen}); err != nil {
			t.Fatal(err)
		}
		_, err := f.doctors.UpdateDoctor(c.rootCtx, f.doctor.ID, healthcare.DoctorUpdate{FirstName: &name, IfUpdatedAt: &seen})
		wantCode(t, "update over another's change", err, healthcare.EPRECONDITION)
		n, err := c.staff.CountDoctorPatients(c.rootCtx, f.doctor.ID)
		if err != nil || n != 1 {
			t.Fatalf("CountDoctorPatients = %d, %v; want 1", n, err)
		}
	})
}

func TestDashboardAndExport(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		c.auth.LoginLimit = healthcare.Limit{Requests: 1, Window: time.Hour}
		ctx := context.Background()
		_, _ = c.auth.Login(ctx, "ann", "nope")
		_, _ = c.auth.Login(ctx, "ann", "nope") // throttled
		d, err := c.staff.Dashboard(c.rootCtx)
		if err != nil {
			t.Fatal(err)
		}
		last := d.Hours[len(d.Hours)-1]
		if d.Users != 2 || d.Staff != 1 || last.FailedSignIns != 2 || last.Throttled != 1 {
			t.Errorf("Dashboard = %+v, last hour %+v; want 2 users, 1 staff, 2 failed, 1 throttled", d, last)
		}
		var actions []string
		err = c.staff.ExportEvents(c.rootCtx, healthcare.AuditFilter{Action: healthcare.ActionLoginFailed},
			func(ev *healthcare.AuditEvent) error { actions = append(actions, ev.Action); return nil })
		if err != nil || len(actions) != 2 {
			t.Fatalf("ExportEvents = %v, %v; want the 2 failed logins", actions, err)
		}
	})
}

func TestAuditFilters(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		ctx := context.Background()
		_, _ = c.sessions.SignIn(ctx, "root", "nope")
		if _, err := c.sessions.SignIn(ctx, "root", "pw"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.staff.SetUserActive(c.rootCtx, c.ann, false); err != nil {
			t.Fatal(err)
		}
		audit := sqlstore.NewAuditService(db)
		for _, tc := range []struct {
			name string
			f    healthcare.AuditFilter
			want []string
		}{
			{"outcome", healthcare.AuditFilter{Outcome: healthcare.OutcomeDenied}, []string{healthcare.ActionConsoleSignInFailed}},
			{"actor", healthcare.AuditFilter{ActorID: c.root}, []string{healthcare.ActionUserDeactivate, healthcare.ActionConsoleSignIn, healthcare.ActionRegister}},
			{"involving", healthcare.AuditFilter{Involving: c.ann}, []string{healthcare.ActionUserDeactivate, healthcare.ActionRegister}},
		} {
			tc.f.ListOptions = healthcare.ListOptions{Page: 1, PageSize: 10}
			events, _, err := audit.FindEvents(c.rootCtx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range events {
				got = append(got, ev.Action)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("%s: FindEvents = %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}
