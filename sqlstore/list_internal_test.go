package sqlstore

import (
	"slices"
	"testing"
)

// Every word of a search counts, as in DRF's SearchFilter, however many;
// a word inside another adds nothing and is dropped.
func TestSearchTerms(t *testing.T) {
	for in, want := range map[string][]string{
		"jon doe":                              {"jon", "doe"},
		"Jon,DOE":                              {"jon", "doe"},
		"jon jonathan":                         {"jonathan"},
		"jon jon jon jon jon jon jon jon zzzz": {"zzzz", "jon"},
		"a b c d e f g h i j":                  {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
		"  ":                                   nil,
	} {
		if got := searchTerms(in); !slices.Equal(got, want) {
			t.Errorf("searchTerms(%q) = %q, want %q", in, got, want)
		}
	}
}
