// Package auth decides who a request comes from: the [Token] it carries, where it may carry one,
// the static tokens of a tokens file ([Static]), and clients' own Home Assistant tokens ([HA]).
// Its only goroutine is HA's clearer of failed logins, started by a refusal and ended within
// HAConfig.Timeout once no refusal waits for it.
package auth
