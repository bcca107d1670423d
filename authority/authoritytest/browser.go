package authoritytest

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"
)

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Browser is a headless chromium driven over the Chrome DevTools protocol
// (https://chromedevtools.github.io/devtools-protocol/), for tests of
// the authority's pages in a real browser. It talks to loopback only.
type Browser struct {
	t    testing.TB
	cmd  *exec.Cmd
	conn net.Conn
	rd   *bufio.Reader
	mu   sync.Mutex
	id   int
}

// StartBrowser starts headless chromium with a fresh profile in a temp
// directory and opens a page, or skips the test when chromium is not
// installed (apt-get install chromium). It is stopped with t.Cleanup.
func StartBrowser(t testing.TB) *Browser {
	t.Helper()
	path := os.Getenv("JWTRACE_CHROMIUM")
	if path == "" {
		path = ChromiumPath
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no headless browser: %s is missing (apt-get install chromium, or set JWTRACE_CHROMIUM)", path)
	}
	// The profile is in the test's temp directory, removed after close
	// (cleanups run last first), once every browser process is gone.
	dir := t.TempDir()
	cmd := exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server",
		"--disable-extensions", "--disable-default-apps", "--password-store=basic", "--use-mock-keychain",
		"--user-data-dir="+dir, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+dir, "TMPDIR="+dir, "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir, "XDG_RUNTIME_DIR="+dir)
	ownGroup(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start %s: %v", path, err)
	}
	b := &Browser{t: t, cmd: cmd}
	t.Cleanup(b.close)
	// "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID"
	wsURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
		sent := false
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				wsURL <- m[1]
				sent = true
			}
		}
		if !sent {
			close(wsURL)
		}
	}()
	var browserWS string
	select {
	case u, ok := <-wsURL:
		if !ok {
			t.Fatalf("chromium exited without a DevTools address")
		}
		browserWS = u
	case <-time.After(30 * time.Second):
		t.Fatalf("chromium did not start in 30s")
	}
	bu, _ := url.Parse(browserWS)
	page := b.pageTarget("http://" + bu.Host)
	conn, rd, err := dialWS(page)
	if err != nil {
		t.Fatalf("DevTools: %v", err)
	}
	b.conn, b.rd = conn, rd
	return b
}

func (b *Browser) close() {
	if b.conn != nil {
		b.conn.Close()
	}
	killGroup(b.cmd)
	b.cmd.Wait()
	for i := 0; i < 100 && !groupGone(b.cmd); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// pageTarget is the WebSocket URL of the browser's first page.
func (b *Browser) pageTarget(base string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/json/list")
		if err == nil {
			var targets []struct {
				Type string `json:"type"`
				WS   string `json:"webSocketDebuggerUrl"`
			}
			json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
			for _, tg := range targets {
				if tg.Type == "page" && tg.WS != "" {
					return tg.WS
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("chromium has no page target")
	return ""
}

// call sends a DevTools command and returns its result.
func (b *Browser) call(method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.id++
	id := b.id
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := writeWS(b.conn, msg); err != nil {
		return nil, err
	}
	b.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		data, err := readWS(b.rd)
		if err != nil {
			return nil, err
		}
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &resp) != nil || resp.ID != id {
			continue // an event
		}
		if resp.Error != nil {
			return nil, errors.New(resp.Error.Message)
		}
		return resp.Result, nil
	}
}

// Navigate opens u in the page.
func (b *Browser) Navigate(u string) {
	b.t.Helper()
	if _, err := b.call("Page.navigate", map[string]any{"url": u}); err != nil {
		b.t.Fatalf("navigate %s: %v", u, err)
	}
}

// Eval evaluates a JavaScript expression in the page and returns its
// value as a string ("" on an error, which is logged).
func (b *Browser) Eval(expr string) string {
	b.t.Helper()
	res, err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		b.t.Logf("eval %s: %v", expr, err)
		return ""
	}
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
	}
	json.Unmarshal(res, &r)
	if r.Result.Value == nil {
		return ""
	}
	return fmt.Sprint(r.Result.Value)
}

// WaitFor waits (up to 15s) until the page is loaded and cond (a
// JavaScript expression) is true, and returns the page's URL and text.
func (b *Browser) WaitFor(cond string) (pageURL, text string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b.Eval("document.readyState === 'complete' && ("+cond+")") == "true" {
			return b.Eval("location.href"), b.Eval("document.body ? document.body.innerText : ''")
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the page never met %s; it is at %s:\n%s", cond, b.Eval("location.href"), b.Eval("document.documentElement.outerHTML"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Click clicks the element with the id.
func (b *Browser) Click(id string) {
	b.t.Helper()
	if b.Eval(fmt.Sprintf("(function(){var e=document.getElementById(%q); if(!e) return 'missing'; e.click(); return 'ok'})()", id)) != "ok" {
		b.t.Fatalf("no element #%s on %s", id, b.Eval("location.href"))
	}
}

// dialWS opens a WebSocket (RFC 6455) to a loopback ws:// URL.
func dialWS(raw string) (net.Conn, *bufio.Reader, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "ws" {
		return nil, nil, fmt.Errorf("not a ws:// URL: %q", raw)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, nil, fmt.Errorf("DevTools is not on loopback: %s", u.Host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	keyB := make([]byte, 16)
	rand.Read(keyB)
	key := base64.StdEncoding.EncodeToString(keyB)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", u.RequestURI(), u.Host, key)
	rd := bufio.NewReaderSize(conn, 1<<16)
	resp, err := http.ReadResponse(rd, &http.Request{Method: http.MethodGet})
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		conn.Close()
		return nil, nil, fmt.Errorf("WebSocket handshake: %s", resp.Status)
	}
	return conn, rd, nil
}

// writeWS sends one masked text frame (RFC 6455 §5.2-5.3).
func writeWS(w io.Writer, payload []byte) error {
	hdr := []byte{0x81}
	n := len(payload)
	switch {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	mask := make([]byte, 4)
	rand.Read(mask)
	hdr = append(hdr, mask...)
	out := make([]byte, n)
	for i := range payload {
		out[i] = payload[i] ^ mask[i%4]
	}
	_, err := w.Write(append(hdr, out...))
	return err
}

// readWS reads one message (joining continuation frames), at most 64 MiB.
func readWS(r *bufio.Reader) ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > 64<<20 || uint64(len(msg))+n > 64<<20 {
			return nil, errors.New("DevTools message larger than 64 MiB")
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if op == 0x8 {
			return nil, errors.New("DevTools closed the connection")
		}
		if op == 0x9 || op == 0xA {
			continue // ping, pong
		}
		msg = append(msg, buf...)
		if fin {
			return msg, nil
		}
	}
}
