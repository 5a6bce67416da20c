package api

import (
	"context"
	"sync"
)

// requestInfo collects what a handler learns for the request log line.
type requestInfo struct {
	mu   sync.Mutex
	user string
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context) (context.Context, *requestInfo) {
	info := &requestInfo{}
	return context.WithValue(ctx, requestInfoKey{}, info), info
}

// SetUserID names the request's user in its log line.
func SetUserID(ctx context.Context, id string) {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		info.mu.Lock()
		info.user = id
		info.mu.Unlock()
	}
}

func (i *requestInfo) userID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.user
}
