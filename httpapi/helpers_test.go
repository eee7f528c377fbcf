package httpapi_test

import (
	"encoding/json"
	"strconv"
	"sync"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// concurrently runs do n times at once and returns the statuses, in order.
func concurrently(n int, do func(i int) int) []int {
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = do(i)
		}()
	}
	wg.Wait()
	return statuses
}
