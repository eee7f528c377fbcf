// Package psql runs SQL through PostgreSQL's psql client, as the postgres
// user, for the drivers in devtools/cmd.
package psql

import (
	"fmt"
	"os/exec"
	"strings"
)

// Run runs sql on database db and returns its output, unaligned and
// without headers or command tags, trimmed.
func Run(host, port, db, sql string) (string, error) {
	out, err := exec.Command("psql", "-h", host, "-p", port, "-U", "postgres", "-d", db,
		"-v", "ON_ERROR_STOP=1", "-Atqc", sql).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %.200q: %v: %s", sql, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// CreateDatabase creates database db and returns a function that drops
// it, with any connections still open to it.
func CreateDatabase(host, port, db string) (drop func(), err error) {
	if _, err := Run(host, port, "postgres", "CREATE DATABASE "+db); err != nil {
		return nil, err
	}
	return func() { _, _ = Run(host, port, "postgres", "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)") }, nil
}
