package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// encodeBuffers are reused across responses: a page of patients is a few
// kilobytes, encoded on nearly every request.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// serverErrorBody is sent if a value cannot be encoded, rather than half a
// body under a success status.
const serverErrorBody = `{"detail":"A server error occurred.","code":"server_error"}` + "\n"

// encode writes v as the JSON body of a response with status. The body is
// encoded whole first, so the response carries its Content-Length and
// goes out in one write rather than in chunks.
func encode(w http.ResponseWriter, status int, v any) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 { // a rare large body is not kept
			encodeBuffers.Put(buf)
		}
	}()
	var err error
	if a, ok := v.(jsonAppender); ok {
		b := append(a.appendJSON(buf.AvailableBuffer()), '\n')
		buf.Write(b) // b is buf's free space unless it outgrew it
	} else {
		err = json.NewEncoder(buf).Encode(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(serverErrorBody)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	// The status is sent; an error here means the client has gone.
	_, _ = w.Write(buf.Bytes())
}

// jsonTime is t as DRF writes a datetime (appendDRFTime), made up front
// for the bodies encoding/json writes: time.Time's MarshalJSON output is
// validated and compacted again by encoding/json.
func jsonTime(t time.Time) string { return string(appendDRFTime(nil, t)) }
