// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package pvesim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const contentTypeJSON = "application/json;charset=UTF-8"

func setCommonHeaders(h http.Header) {
	h.Set("Server", "pve-api-daemon/3.0")
	h.Set("Cache-Control", "max-age=0")
	h.Set("Pragma", "no-cache")
}

// writeJSON answers 200 with the concatenation of parts.
func writeJSON(w http.ResponseWriter, parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	h := w.Header()
	setCommonHeaders(h)
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return
		}
	}
}

// truncate cuts parts to half their length: malformed JSON.
func truncate(parts [][]byte) [][]byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	keep := max(1, n/2)
	var out [][]byte
	for _, p := range parts {
		if keep <= 0 {
			break
		}
		if len(p) > keep {
			p = p[:keep]
		}
		out = append(out, p)
		keep -= len(p)
	}
	return out
}

// apiError is an error answer. PVE sends the text as the reason phrase and,
// since 8.3, also as "message" in the body.
type apiError struct {
	status int
	msg    string
	params map[string]string // "errors" member of a 400
}

// emptyBody reports whether PVE answers this status without a body: 401
// comes from the login layer and 59x from the proxy hop.
func (e apiError) emptyBody() bool { return e.status == http.StatusUnauthorized || e.status >= 595 }

func (e apiError) body(style ErrorStyle) []byte {
	o := newObj()
	if len(e.params) > 0 {
		o.any("errors", e.params)
	}
	o.raw("data", []byte("null"))
	if style == PVE9 {
		o.str("message", e.msg+"\n")
	}
	return o.bytes()
}

func (s *Simulator) writeError(w http.ResponseWriter, e apiError) {
	h := w.Header()
	setCommonHeaders(h)
	style := s.errorStyle()
	var body []byte
	if !e.emptyBody() {
		body = e.body(style)
		h.Set("Content-Type", contentTypeJSON)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if style == PVE7 && writeRawStatus(w, e.status, reasonPhrase(e.msg), body) {
		return
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// reasonPhrase keeps the first line, as pveproxy's AnyEvent layer does.
func reasonPhrase(msg string) string {
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// writeRawStatus writes a response with a custom reason phrase, which
// net/http cannot do, by hijacking the HTTP/1.x connection and closing it
// afterwards. It reports false (nothing written) where hijacking is not
// possible, e.g. on HTTP/2.
func writeRawStatus(w http.ResponseWriter, status int, reason string, body []byte) bool {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	h := w.Header().Clone()
	h.Set("Connection", "close")
	bw := rw.Writer
	if bw == nil {
		bw = bufio.NewWriter(conn)
	}
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", status, reason)
	_ = h.Write(bw)
	_, _ = bw.WriteString("\r\n")
	_, _ = bw.Write(body)
	_ = bw.Flush()
	return true
}

func writePlain(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	setCommonHeaders(h)
	h.Set("Content-Type", "text/plain;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// oddValues rewrites a {"data": ...} body with values of the wrong kinds
// (see OddValuesPath). The JSON stays valid.
func oddValues(parts [][]byte) []byte {
	var env struct {
		Data any `json:"data"`
	}
	if err := json.Unmarshal(bytes.Join(parts, nil), &env); err != nil {
		return bytes.Join(parts, nil)
	}
	oddify := func(entry any) any {
		obj, ok := entry.(map[string]any)
		if !ok {
			return entry
		}
		for k, v := range obj {
			switch v.(type) {
			case map[string]any:
				obj[k] = 7
			case []any:
				obj[k] = nil
			}
		}
		return obj
	}
	switch d := env.Data.(type) {
	case []any:
		out := []any{42, nil, "odd"}
		for _, e := range d {
			out = append(out, oddify(e))
		}
		env.Data = out
	default:
		env.Data = oddify(d)
	}
	b, _ := json.Marshal(env)
	return b
}
