// Package hatest runs a real Home Assistant (2024.3.3, from the venv scripts/install-ha.sh builds)
// as a test peer: a fresh configuration folder from the committed offline home in haconfig/, a
// free loopback port, an owner and a non-admin user with long-lived tokens made without a prompt,
// areas assigned through the registries, and helpers that drive events through Home Assistant's
// REST API and read what it did (states, ip_bans.yaml, persistent notifications).
//
// A Home can be stopped and started again in the same folder and on the same port, so the tokens
// and registries survive a restart as they do for a user. Start is made for TestMain, so that the
// tests of a package share one start where they can.
package hatest
