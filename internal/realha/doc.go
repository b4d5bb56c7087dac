// Package realha holds the real-Home-Assistant test tier (build tag realha, `make realha`): a
// real `hasse serve` binary, configured by environment variables alone as a user runs it,
// against a real Home Assistant 2024.3.3 started by package hatest. It has no code of its own
// outside its tests.
package realha
