package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
)

// params returns the request's parameters: the query string and, for POST, a JSON object or a
// form in the body, whose values win over the query's (SPEC.md §4.1). A JSON value may be a
// string, number, boolean or an array of those.
func params(r *http.Request, maxBody int64) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the query string is malformed")
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return q, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", fmt.Sprintf("the request body is larger than %d bytes", maxBody))
	case err != nil:
		return nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the request body could not be read")
	case len(body) == 0:
		return q, nil
	}
	var fromBody url.Values
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/x-www-form-urlencoded":
		fromBody, err = url.ParseQuery(string(body))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the form body is malformed")
		}
	default: // JSON, whatever the client called it
		fromBody, err = jsonParams(body)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the body is not a JSON object of parameters: "+err.Error())
		}
	}
	for k, vs := range fromBody {
		q[k] = vs
	}
	return q, nil
}

func jsonParams(body []byte) (url.Values, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, errors.New("invalid JSON")
	}
	v := make(url.Values, len(obj))
	for k, raw := range obj {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			list = []json.RawMessage{raw}
		}
		for _, item := range list {
			s, err := scalar(item)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
			v.Add(k, s)
		}
	}
	return v, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		return "", err
	}
	switch x := x.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", nil
	default:
		return "", errors.New("must be a string, number, boolean or a list of those")
	}
}
