// Package auth decides who a request comes from: the [Token] it carries, where it may carry one,
// and the static tokens of a tokens file ([Static]). It starts no goroutines.
package auth
