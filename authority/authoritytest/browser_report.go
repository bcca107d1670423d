package authoritytest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"
)

// PageWatch is a second DevTools session on the browser's page that
// records what the page does: every request it makes (Network domain),
// console messages of level error or warning, uncaught exceptions
// (Runtime domain) and the browser's own log entries (Log domain: a CSP
// violation, a failed load). Start it before Navigate.
type PageWatch struct {
	b    *Browser
	conn net.Conn
	mu   sync.Mutex
	id   int
	// wait holds the pending commands' answers by id.
	wait     map[int]chan error
	requests []string
	problems []string
	done     chan struct{}
}

// Watch opens the session (DevTools allows several clients on one
// target) and enables the domains it listens to. It is closed with the
// test.
func (b *Browser) Watch() *PageWatch {
	b.t.Helper()
	page := b.pageTarget("http://" + b.conn.RemoteAddr().String())
	conn, rd, err := dialWS(page)
	if err != nil {
		b.t.Fatalf("DevTools watch: %v", err)
	}
	w := &PageWatch{b: b, conn: conn, wait: map[int]chan error{}, done: make(chan struct{})}
	b.t.Cleanup(func() { conn.Close(); <-w.done })
	go func() {
		defer close(w.done)
		for {
			data, err := readWS(rd)
			if err != nil {
				w.mu.Lock()
				for id, ch := range w.wait {
					ch <- err
					delete(w.wait, id)
				}
				w.mu.Unlock()
				return
			}
			w.event(data)
		}
	}()
	for _, m := range []string{"Network.enable", "Runtime.enable", "Log.enable"} {
		if err := w.call(m, map[string]any{}); err != nil {
			b.t.Fatalf("DevTools watch: %s: %v", m, err)
		}
	}
	return w
}

func (w *PageWatch) call(method string, params any) error {
	w.mu.Lock()
	w.id++
	id := w.id
	ch := make(chan error, 1)
	w.wait[id] = ch
	w.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := writeWS(w.conn, msg); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("no answer to %s in 30s", method)
	}
}

func (w *PageWatch) event(data []byte) {
	var m struct {
		ID     int             `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &m) != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if m.ID != 0 {
		if ch, ok := w.wait[m.ID]; ok {
			delete(w.wait, m.ID)
			if m.Error != nil {
				ch <- fmt.Errorf("%s", m.Error.Message)
			} else {
				ch <- nil
			}
		}
		return
	}
	switch m.Method {
	case "Network.requestWillBeSent":
		var p struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		json.Unmarshal(m.Params, &p)
		w.requests = append(w.requests, p.Request.URL)
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		json.Unmarshal(m.Params, &p)
		if p.Type == "error" || p.Type == "warning" || p.Type == "assert" {
			text := ""
			for _, a := range p.Args {
				text += fmt.Sprint(a.Value) + a.Description + " "
			}
			w.problems = append(w.problems, "console."+p.Type+": "+text)
		}
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		json.Unmarshal(m.Params, &p)
		w.problems = append(w.problems, "exception: "+p.Details.Text+" "+p.Details.Exception.Description)
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
				URL    string `json:"url"`
			} `json:"entry"`
		}
		json.Unmarshal(m.Params, &p)
		if p.Entry.Level == "error" || p.Entry.Level == "warning" {
			w.problems = append(w.problems, "log ("+p.Entry.Source+", "+p.Entry.Level+"): "+p.Entry.Text+" "+p.Entry.URL)
		}
	}
}

// Requests are the URLs of the requests the page made so far, the page's
// own first.
func (w *PageWatch) Requests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.requests...)
}

// Problems are the console errors and warnings, exceptions and error or
// warning log entries so far.
func (w *PageWatch) Problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.problems...)
}

// SetViewport makes the page width × height CSS pixels at scale 1
// (Emulation.setDeviceMetricsOverride).
func (b *Browser) SetViewport(width, height int) {
	b.t.Helper()
	if _, err := b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}); err != nil {
		b.t.Fatalf("set the viewport to %dx%d: %v", width, height, err)
	}
}

// Screenshot is a PNG of the page's top width × height CSS pixels, past
// the viewport when the page is longer (Page.captureScreenshot).
func (b *Browser) Screenshot(width, height int) []byte {
	b.t.Helper()
	res, err := b.call("Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
	})
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return png
}
