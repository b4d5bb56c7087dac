// Package jsonscan reads JSON without decoding it: [Validate] checks a document once, with the
// grammar encoding/json accepts, and [Members] then walks the objects and arrays of the valid
// bytes, so that a caller picks out the few members it needs and skips the rest.
//
// Home Assistant's WebSocket frames reach the gateway at tens of thousands of events a second,
// and encoding/json scans its input twice per Unmarshal and once more per nested Unmarshal
// (12.5 µs for a 1.6 KB state_changed into a struct of json.RawMessage, 5.5 µs for json.Valid
// alone). The walkers trust the validation: they are for bytes [Validate] accepted.
package jsonscan
