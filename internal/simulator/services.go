package simulator

import (
	"context"
	"slices"
	"strings"
)

// serviceDef is one service of the registry: the data it accepts, what it does, and how
// get_services describes it (HA-PROTOCOL.md §10, §11).
type serviceDef struct {
	name, description string
	fields            []serviceField
	domain            string // entity domain its target is filtered to; "" = it takes no target; "*" = any domain
	features          []int  // supported_features filter of its target, for the description
	response          string // "", "optional" or "only": whether it can return a response
	extra             bool   // accepts keys beyond its fields (voluptuous ALLOW_EXTRA)
	atLeastOne        []string

	// One of these does the work: entity once per targeted entity of domain, in order; run once.
	entity func(h *home, id string, call *serviceCall) error
	run    func(h *home, call *serviceCall) (any, error)
}

// serviceCall is one call being served: its validated data, its context, the entities its target
// resolved to (existing states only, sorted), and whether the caller wants a response.
type serviceCall struct {
	domain, service string
	data            map[string]any
	ctx             Context
	entities        []string
	returnResponse  bool
}

// callService calls domain.service from inside the home (automations, scripts, activity): the
// call_service event, then the effects, all in ctx. data holds the target (entity_id) too.
func (h *home) callService(domain, svc string, data map[string]any, ctx Context) error {
	_, err := h.call(domain, svc, data, ctx, false)
	return err
}

// call calls a service as HA's ServiceRegistry.async_call does: look it up (names are
// case-insensitive), check the response flag, validate data, fire call_service with data as
// given, then run the service with the coerced data. It returns the service's response, or an
// *haError with the code HA's call_service answers with. Invalid calls fire nothing.
func (h *home) call(domain, svc string, data map[string]any, ctx Context, returnResponse bool) (any, error) {
	domain, svc = strings.ToLower(domain), strings.ToLower(svc)
	def := h.services[domain][svc]
	if def == nil {
		return nil, &haError{code: codeNotFound, message: "Service " + domain + "." + svc + " not found.",
			tDomain: "homeassistant", tKey: "service_not_found",
			tPlaceholders: object{{"domain", domain}, {"service", svc}}}
	}
	switch {
	case returnResponse && def.response == "":
		return nil, validationError("homeassistant", "service_does_not_support_response",
			object{{"return_response", "return_response=True"}},
			"An action which does not return responses can't be called with return_response=True")
	case !returnResponse && def.response == "only":
		return nil, validationError("homeassistant", "service_lacks_response_request",
			object{{"return_response", "return_response=True"}},
			"The action requires responses and must be called with return_response=True")
	}
	if data == nil {
		data = map[string]any{}
	}
	valid, err := def.validate(data)
	if err != nil {
		return nil, err
	}
	h.fire("call_service", object{{"domain", domain}, {"service", svc}, {"service_data", data}}, ctx, h.now())
	call := &serviceCall{domain: domain, service: svc, data: valid, ctx: ctx, returnResponse: returnResponse}
	if def.domain != "" {
		call.entities = h.resolveTarget(valid)
	}
	if def.run != nil {
		return def.run(h, call)
	}
	for _, id := range call.entities {
		if domainOf(id) != def.domain {
			continue
		}
		if err := def.entity(h, id, call); err != nil {
			return nil, err
		}
	}
	if returnResponse {
		return map[string]any{}, nil
	}
	return nil, nil
}

// validationError is HA's ServiceValidationError as call_service reports it.
func validationError(domain, key string, placeholders object, text string) *haError {
	return &haError{code: codeServiceValidation, message: "Validation error: " + text,
		tDomain: domain, tKey: key, tPlaceholders: placeholders}
}

// targetKeys are the keys of an entity service's data that name its target (cv.ENTITY_SERVICE_FIELDS).
var targetKeys = []string{"entity_id", "device_id", "area_id", "floor_id", "label_id"}

// validate checks data against the service's schema as its voluptuous schema does and returns
// the coerced data, or invalid_format with str() of the first error (no "Got", unlike command
// schemas): exclusion groups first, then each key in order, then missing required keys.
func (d *serviceDef) validate(data map[string]any) (map[string]any, error) {
	fail := func(text string) error { return &haError{code: codeInvalidFormat, message: text} }
	groups := map[string]string{}
	for _, f := range d.fields {
		if _, ok := data[f.key]; ok && f.group != "" {
			if _, seen := groups[f.group]; seen {
				return nil, fail("two or more values in the same group of exclusion '" + f.group + "' @ data[<" + f.group + ">]")
			}
			groups[f.group] = f.key
		}
	}
	out := make(map[string]any, len(data))
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := data[k]
		i := slices.IndexFunc(d.fields, func(f serviceField) bool { return f.key == k })
		switch {
		case i >= 0:
			cv, bad := d.fields[i].coerce(v)
			if bad != nil {
				return nil, fail(bad.String(k))
			}
			out[k] = cv
		case d.domain != "" && slices.Contains(targetKeys, k):
			cv, bad := coerceTarget(k, v)
			if bad != nil {
				return nil, fail(bad.String(k))
			}
			out[k] = cv
		case d.extra:
			out[k] = v
		default:
			return nil, fail("extra keys not allowed @ " + dataPath(k))
		}
	}
	for _, f := range d.fields {
		if _, ok := out[f.key]; !ok && f.required {
			return nil, fail("required key not provided @ " + dataPath(f.key))
		}
	}
	if len(d.atLeastOne) > 0 && !slices.ContainsFunc(d.atLeastOne, func(k string) bool { _, ok := out[k]; return ok }) {
		return nil, fail("must contain at least one of " + strings.Join(d.atLeastOne, ", ") + ".")
	}
	return out, nil
}

// serviceRegistry is the home's services: the built-in ones (servicedefs.go) and one
// script.<name> service per script, as HA's script integration registers them.
func serviceRegistry(scripts []scriptSpec) map[string]map[string]*serviceDef {
	reg := builtinServices()
	for i := range scripts {
		sc := &scripts[i]
		_, object, _ := strings.Cut(sc.id, ".")
		reg["script"][object] = &serviceDef{
			name:     sc.name,
			response: "optional",
			extra:    true, // a script's fields; these scripts declare none and take any variables
			run: func(h *home, call *serviceCall) (any, error) {
				h.runScript(sc, call.ctx)
				if call.returnResponse {
					return map[string]any{}, nil
				}
				return nil, nil
			},
		}
	}
	return reg
}

// handleCallService is HA's call_service command (HA-PROTOCOL.md §11): the call runs in a new
// context of the caller, then the result carries that context (and the response when asked).
func handleCallService(h *home, c *conn, id int64, m map[string]any) error {
	domain, svc := m["domain"].(string), m["service"].(string)
	target, _ := m["target"].(map[string]any)
	returnResponse, _ := m["return_response"].(bool)
	if isComplex(target) {
		validated := cloneValue(m).(map[string]any)
		validated["return_response"] = returnResponse // the schema's default, as voluptuous fills it in
		return &haError{code: codeInvalidFormat, message: "Templates are not supported here. Got " + pyRepr(validated)}
	}
	data := map[string]any{}
	if sd, ok := m["service_data"].(map[string]any); ok {
		data = cloneValue(sd).(map[string]any)
	}
	for k, v := range target {
		data[k] = cloneValue(v)
	}
	ctx := h.newContext("", c.user.id)
	response, err := h.call(domain, svc, data, ctx, returnResponse)
	if he, ok := err.(*haError); ok && he.tKey == "service_not_found" {
		nfDomain, nfService := he.tPlaceholders[0].val.(string), he.tPlaceholders[1].val.(string)
		if nfDomain != domain || nfService != svc {
			return &haError{code: codeHomeAssistantError,
				message: "Service " + nfDomain + "." + nfService + " called service " + domain + "." + svc + " which was not found.",
				tDomain: "websocket_api", tKey: "child_service_not_found",
				tPlaceholders: object{{"domain", domain}, {"service", svc}, {"child_domain", nfDomain}, {"child_service", nfService}}}
		}
	}
	if err != nil {
		return err
	}
	result := object{{"context", ctx}}
	if returnResponse {
		result = append(result, member{"response", response})
	}
	h.send(c, resultMessage(id, result))
	return nil
}

// CallService calls domain.service as a user of the home would, in a fresh context with no user:
// call_service with data as given (HA-PROTOCOL.md §11), then the service's effects. data, which
// holds the target keys too, is copied; nil means {}. The error is the one call_service would
// answer with.
func (s *Simulator) CallService(domain, service string, data map[string]any) error {
	d := cloneValue(data).(map[string]any)
	var err error
	s.do(context.Background(), func(h *home) { err = h.callService(domain, service, d, h.newContext("", "")) })
	return err
}
