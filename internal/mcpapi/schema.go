package mcpapi

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/google/jsonschema-go/jsonschema"

	"hasse/internal/filter"
	"hasse/internal/stats"
)

// The SDK infers a tool's schemas from its Go types and checks every input and output against
// them. A few types marshal to JSON of another shape than their Go structure; these are their
// true schemas.
var typeSchemas = map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[json.RawMessage](): {Type: "object"}, // the raw JSON objects of Home Assistant
	reflect.TypeFor[stats.Duration]():  {Type: "string", Description: `a duration, like "1m30s"`},
	reflect.TypeFor[filter.SubscriptionRow](): {
		Type: "object",
		Properties: map[string]*jsonschema.Schema{
			"event_type": {Types: []string{"null", "string"}},
			"entity_id":  {Types: []string{"null", "string"}},
			"domain":     {Types: []string{"null", "string"}},
		},
	},
}

// schemaFor returns the schema of T, with the true schemas of typeSchemas, after tweak (if not
// nil) has edited the properties (adding bounds, defaults, enums). A type it cannot describe is a
// programmer error: it panics, as mcp.AddTool does.
func schemaFor[T any](tweak func(props map[string]*jsonschema.Schema)) *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: typeSchemas})
	if err != nil {
		panic(fmt.Sprintf("mcpapi: schema of %v: %v", reflect.TypeFor[T](), err))
	}
	if tweak != nil {
		tweak(s.Properties)
	}
	return s
}

// bounded sets an integer property's range. Defaults are the handlers' to apply, not the
// schema's: the SDK's way of applying a schema's defaults panics on "arguments": null.
func bounded(p *jsonschema.Schema, lo, hi int) {
	p.Minimum, p.Maximum = new(float64(lo)), new(float64(hi))
}
