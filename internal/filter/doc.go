// Package filter parses a subscriber's filter parameters (SPEC.md §4.1) and matches events
// against them.
//
// [Parse] turns the query and body values of a subscribe request into a [Filter];
// [Filter.Match] decides whether one [hass.Event] passes it. The hub indexes subscribers by the
// exact values a Filter lists and calls Match on the candidates, so Match neither allocates nor
// depends on that index. The package runs no goroutines and keeps no state: a Filter is
// read-only once Parse returns it and may be used by any number of goroutines at once.
package filter
