package sqlstore

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// checkDisk reports a directory on a read-only filesystem or with less
// than minFree bytes free: SQLite's writes there are failing, or about to,
// whether or not one has been tried yet.
func checkDisk(dir string, minFree uint64) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	if st.Flags&unix.ST_RDONLY != 0 {
		return fmt.Errorf("database directory %s is on a read-only filesystem", dir)
	}
	blocks := st.Bavail
	if unix.Geteuid() == 0 {
		blocks = st.Bfree // root may write into the blocks reserved for it
	}
	size := uint64(max(st.Frsize, 0)) // #nosec G115 -- not negative, checked
	if size == 0 {
		size = uint64(max(st.Bsize, 0)) // #nosec G115 -- likewise
	}
	if free := blocks * size; free < minFree {
		return fmt.Errorf("database directory %s: %d bytes free", dir, free)
	}
	return nil
}
