//go:build !unix

package sqlstore_test

// The killed-import test needs SIGKILL; elsewhere the child never runs.
const killedImportEnv = "HEALTHCARE_TEST_KILLED_IMPORT"

func killedImport() {}
