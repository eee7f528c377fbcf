package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/clinicapi/healthcare"
)

// query builds one list statement: a fixed SELECT, WHERE conditions with
// $n placeholders numbered in order, and a whitelisted ORDER BY.
type query struct {
	sql  strings.Builder
	args []any
}

func newQuery(base string, args ...any) *query {
	q := &query{args: args}
	q.sql.WriteString(base)
	return q
}

// arg adds a value and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// where adds " AND cond", where cond holds one %s for the value's placeholder.
func (q *query) where(cond string, v any) {
	q.sql.WriteString(" AND ")
	q.sql.WriteString(fmt.Sprintf(cond, q.arg(v)))
}

// search adds one LIKE per whitespace-separated term on a key column, all
// of which must match, as DRF's SearchFilter does.
func (q *query) search(column, search string) {
	for _, t := range searchTerms(search) {
		q.where(column+` LIKE %s ESCAPE '\'`, "%"+escapeLike(t)+"%")
	}
}

// searchTerms splits a search as DRF's SearchFilter does (Python's split
// on white space, which counts \x1c-\x1f too, and on commas; NULs
// dropped), folded. Every word must match, as in DRF; a word inside
// another one is dropped, since the longer one's match implies it (the
// search key's fields are joined by \x1f, which no word holds). A search
// is at most 200 characters (httpapi), which bounds the LIKE clauses.
func searchTerms(search string) []string {
	search = strings.ReplaceAll(search, "\x00", "")
	terms := strings.FieldsFunc(healthcare.Fold(search), func(r rune) bool {
		return r == ',' || unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
	})
	// Longest first, so that a word is kept only if no kept one holds it.
	slices.SortStableFunc(terms, func(a, b string) int { return len(b) - len(a) })
	var kept []string
	for _, t := range terms {
		if !slices.ContainsFunc(kept, func(k string) bool { return strings.Contains(k, t) }) {
			kept = append(kept, t)
		}
	}
	return kept
}

// page adds ORDER BY, LIMIT and OFFSET. The last page is found by counting
// the rows first, with the query as built so far.
func (q *query) page(ctx context.Context, h handle, opt *healthcare.ListOptions, columns map[string]string, idColumn string) error {
	if opt.Last {
		var n int
		if err := h.queryRow(ctx, `SELECT count(*) FROM (`+q.String()+`) listed`, q.args...).Scan(&n); err != nil {
			return fmt.Errorf("count for the last page: %w", err)
		}
		opt.Page, opt.Last = max(1, (n+opt.PageSize-1)/opt.PageSize), false
	}
	q.sql.WriteString(" ORDER BY ")
	for _, f := range opt.Ordering {
		desc := strings.HasPrefix(f, "-")
		col, ok := columns[strings.TrimPrefix(f, "-")]
		if !ok {
			return healthcare.FieldError("ordering", fmt.Sprintf("Unknown ordering field %q.", f))
		}
		q.sql.WriteString(col)
		if desc {
			q.sql.WriteString(" DESC")
		}
		q.sql.WriteString(", ")
	}
	q.sql.WriteString(idColumn)
	q.sql.WriteString(" LIMIT " + q.arg(opt.PageSize) + " OFFSET " + q.arg(opt.Offset()))
	return nil
}

func (q *query) String() string { return q.sql.String() }

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// pageResult checks a page that came back empty: past the end unless it is
// the first page, which may be empty.
func pageResult(opt healthcare.ListOptions, rows, total int) (int, error) {
	if rows == 0 && opt.Page > 1 {
		return 0, healthcare.Errorf(healthcare.ENOTFOUND, healthcare.MsgInvalidPage)
	}
	return total, nil
}

// orderColumns maps the same names to themselves, prefixed by a table alias.
func orderColumns(alias string, fields []string) map[string]string {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f] = alias + f
	}
	return m
}
