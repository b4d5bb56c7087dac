// Package limit counts requests per key (a client IP, a user) with token buckets and says when a
// key may come back. It starts no goroutines: idle keys are swept out as requests arrive.
package limit
