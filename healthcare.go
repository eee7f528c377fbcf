// Package healthcare is the domain of the healthcare API: users, patients,
// doctors and the assignments between them, their invariants, and the
// service interfaces that the storage and transport packages implement and
// use. It performs no I/O of its own.
package healthcare

// DefaultPageSize and MaxPageSize bound every list.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ListOptions selects one page of a list, with an optional search and order.
type ListOptions struct {
	Page     int      // from 1
	Last     bool     // the last page, whatever its number (DRF's page=last)
	PageSize int      // 1..MaxPageSize
	Search   string   // matched case-insensitively, term by term
	Ordering []string // field names, "-" prefix for descending
}

// Offset is the number of rows before the requested page.
func (o ListOptions) Offset() int { return (o.Page - 1) * o.PageSize }
