package mcpapi

import (
	"context"
	"sync/atomic"
)

// budget is what the answers of one HTTP request may still hold, in bytes. Every message of a
// JSON-RPC batch draws on the same budget, so a batch of a hundred calls answers no more than one
// call could. The SDK may answer a batch's messages concurrently: the count is atomic.
type budget struct{ left atomic.Int64 }

type budgetKey struct{}

func withBudget(ctx context.Context, bytes int64) context.Context {
	b := new(budget)
	b.left.Store(bytes)
	return context.WithValue(ctx, budgetKey{}, b)
}

// take draws n bytes from ctx's budget and reports whether they were there; nothing is drawn
// when they were not. A context without a budget has no bound.
func take(ctx context.Context, n int) bool {
	b, ok := ctx.Value(budgetKey{}).(*budget)
	if !ok {
		return true
	}
	for {
		left := b.left.Load()
		if int64(n) > left {
			return false
		}
		if b.left.CompareAndSwap(left, left-int64(n)) {
			return true
		}
	}
}
