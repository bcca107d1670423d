package login

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
)

// quirks is a RoundTripper that smooths over what real providers send so
// that x/oauth2 can read it: expires_in and interval as JSON strings
// ("3600") instead of numbers, and a form-encoded device authorization
// response (GitHub without Accept: application/json). x/oauth2 itself
// takes verification_url for verification_uri, a missing
// verification_uri_complete, and form-encoded token responses. Bodies are
// read up to 1 MiB.
//
// It also puts ctx on requests that have none: x/oauth2 builds its device
// authorization request without the caller's context, so without this a
// hanging server could not be cancelled.
type quirks struct {
	base http.RoundTripper
	ctx  context.Context
}

const maxResponseBytes = 1 << 20

func (q *quirks) RoundTrip(req *http.Request) (*http.Response, error) {
	if q.ctx != nil {
		ctx, cancel := context.WithCancel(req.Context())
		stop := context.AfterFunc(q.ctx, cancel)
		defer func() { stop(); cancel() }() // the body is read below
		req = req.WithContext(ctx)
	}
	resp, err := q.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxResponseBytes {
		body = body[:maxResponseBytes] // x/oauth2 reports the broken JSON
	}
	switch {
	case ct == "application/json" || (ct == "" && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))):
		body = numbersFromStrings(body, "expires_in", "interval")
	case ct == "application/x-www-form-urlencoded" && bytes.Contains(body, []byte("device_code=")):
		if j := formToJSON(body); j != nil {
			body = j
			resp.Header.Set("Content-Type", "application/json")
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// numbersFromStrings rewrites the named top-level members from "123" to
// 123. Anything it cannot parse is left alone.
func numbersFromStrings(body []byte, names ...string) []byte {
	if !bytes.Contains(body, []byte(`":"`)) && !bytes.Contains(body, []byte(`": "`)) {
		return body
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	changed := false
	for _, name := range names {
		raw, ok := m[name]
		if !ok || len(raw) == 0 || raw[0] != '"' {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			m[name] = json.RawMessage(strconv.FormatInt(n, 10))
			changed = true
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// formToJSON turns a form-encoded device authorization response into JSON,
// with expires_in and interval as numbers.
func formToJSON(body []byte) []byte {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	m := map[string]any{}
	for k := range vals {
		v := vals.Get(k)
		if k == "expires_in" || k == "interval" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				m[k] = n
				continue
			}
		}
		m[k] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return out
}
