package healthcare

import "context"

type contextKey int

const (
	userContextKey contextKey = iota + 1
	requestInfoContextKey
)

// NewContextWithUser returns ctx carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey, u)
}

// UserFromContext returns the authenticated user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey).(*User)
	return u
}

// UserIDFromContext returns the authenticated user's id, or 0.
func UserIDFromContext(ctx context.Context) int64 {
	if u := UserFromContext(ctx); u != nil {
		return u.ID
	}
	return 0
}

// RequestInfo describes the request behind a call, for the audit trail.
type RequestInfo struct {
	RequestID  string // the server's own, or a trusted proxy's
	ClientAddr string
	// ClientRequestID is the id a client sent, kept for the logs only.
	ClientRequestID string
}

// NewContextWithRequestInfo returns ctx carrying info.
func NewContextWithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoContextKey, info)
}

// RequestInfoFromContext returns the request info, or its zero value.
func RequestInfoFromContext(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoContextKey).(RequestInfo)
	return info
}
