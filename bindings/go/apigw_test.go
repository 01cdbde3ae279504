package apigw_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"apigw"
)

func config(routes string) string {
	return `{"listeners": [{"name": "public", "address": "127.0.0.1:0"}], "routes": ` + routes + `}`
}

// serve makes a gateway from routes, lets setup register callbacks, starts it.
func serve(t *testing.T, routes string, setup func(*apigw.Gateway)) (*apigw.Gateway, string) {
	t.Helper()
	gw, err := apigw.New(config(routes))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	setup(gw)
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	addr, err := gw.Addr(0)
	if err != nil {
		t.Fatal(err)
	}
	return gw, "http://" + addr
}

func get(t *testing.T, url string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func TestHello(t *testing.T) {
	_, base := serve(t, `[{"name": "h", "match": {"path": "/users/{id}"}, "handler": "hello"}]`, func(gw *apigw.Gateway) {
		gw.Handle("hello", func(r *apigw.Request) apigw.Response {
			body := fmt.Sprintf("%s %s %s %s %s", r.Method, r.Path, r.Query, r.Params["id"], r.Header.Get("X-Thing"))
			return apigw.Response{Status: 201, Header: http.Header{"X-Id": {r.Params["id"]}}, Body: []byte(body)}
		})
	})
	status, header, body := get(t, base+"/users/7?a=1", map[string]string{"x-thing": "yes"})
	if status != 201 || body != "GET /users/7 a=1 7 yes" || header.Get("X-Id") != "7" {
		t.Fatalf("got %d %q %v", status, body, header)
	}
}

func TestPanicIs500(t *testing.T) {
	_, base := serve(t, `[{"name": "h", "match": {"path": "/"}, "handler": "boom"}]`, func(gw *apigw.Gateway) {
		gw.Handle("boom", func(r *apigw.Request) apigw.Response { panic("boom") })
	})
	if status, _, _ := get(t, base+"/", nil); status != 500 {
		t.Fatalf("got %d", status)
	}
	if status, _, _ := get(t, base+"/nope", nil); status != 404 {
		t.Fatalf("still serving? got %d", status)
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := apigw.New(`{"listeners": [{"address": "nowhere"}], "routs": [], "workers": 0}`)
	var ce *apigw.ConfigError
	if !errors.As(err, &ce) || len(ce.Errors) != 3 {
		t.Fatalf("got %v", err)
	}
	gw, err := apigw.New(config(`[{"name": "h", "match": {"path": "/"}, "handler": "missing"}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	if err := gw.Start(); err == nil || !strings.Contains(err.Error(), `unknown handler "missing"`) {
		t.Fatalf("got %v", err)
	}
}

func TestReload(t *testing.T) {
	gw, base := serve(t, `[{"name": "a", "match": {"path": "/a"}, "handler": "path"}]`, func(gw *apigw.Gateway) {
		gw.Handle("path", func(r *apigw.Request) apigw.Response { return apigw.Response{Body: []byte(r.Path)} })
	})
	if err := gw.Reload(config(`[{"name": "b", "match": {"path": "/b"}, "handler": "path"}]`)); err != nil {
		t.Fatal(err)
	}
	if status, _, body := get(t, base+"/b", nil); status != 200 || body != "/b" {
		t.Fatalf("got %d %q", status, body)
	}
	if err := gw.Reload(config(`[{"name": "c", "match": {"path": "/c"}, "upstream": "x"}]`)); err == nil {
		t.Fatal("a bad reload was accepted")
	}
	if status, _, _ := get(t, base+"/b", nil); status != 200 {
		t.Fatalf("got %d", status)
	}
	gw.Stop(time.Second)
}

func TestPolicy(t *testing.T) {
	routes := `[{"name": "h", "match": {"path": "/"}, "handler": "who", "policies": ["auth"]}]`
	_, base := serve(t, routes, func(gw *apigw.Gateway) {
		gw.Handle("who", func(r *apigw.Request) apigw.Response {
			return apigw.Response{Body: []byte(r.Consumer + " " + r.Header.Get("X-Checked"))}
		})
		gw.Policy("auth", func(r *apigw.Request) *apigw.Response {
			if r.Header.Get("Authorization") != "Bearer good" {
				return &apigw.Response{Status: 401, Body: []byte("who are you?")}
			}
			r.SetConsumer("ada")
			r.SetHeader("x-checked", "yes")
			return nil
		})
	})
	if status, _, body := get(t, base+"/", nil); status != 401 || body != "who are you?" {
		t.Fatalf("got %d %q", status, body)
	}
	if status, _, body := get(t, base+"/", map[string]string{"Authorization": "Bearer good"}); status != 200 || body != "ada yes" {
		t.Fatalf("got %d %q", status, body)
	}
}

func TestConcurrentRequests(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	_, base := serve(t, `[{"name": "n", "match": {"path": "/n/{i}"}, "handler": "n"}]`, func(gw *apigw.Gateway) {
		gw.Handle("n", func(r *apigw.Request) apigw.Response {
			mu.Lock()
			seen[r.Params["i"]] = true
			mu.Unlock()
			return apigw.Response{Body: []byte(r.Params["i"])}
		})
	})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := http.Get(fmt.Sprintf("%s/n/%d", base, i))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(body) != fmt.Sprint(i) {
				errs <- fmt.Errorf("request %d: %d %q", i, resp.StatusCode, body)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != 64 {
		t.Fatalf("handler saw %d distinct requests", len(seen))
	}
}

func TestRateLimitKey(t *testing.T) {
	gw, err := apigw.New(`{"listeners": [{"name": "public", "address": "127.0.0.1:0"}],
		"policies": [{"name": "per-tenant", "type": "rate_limit", "key": "host:tenant", "limit": 1, "window_ms": 60000}],
		"routes": [{"name": "r", "match": {"path": "/"}, "respond": {"status": 200, "body": "ok"}, "policies": ["per-tenant"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	if err := gw.RateLimitKey("tenant", func(r *apigw.Request) string { return r.Header.Get("X-Tenant") }); err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	addr, _ := gw.Addr(0)
	long := strings.Repeat("k", 300) // beyond the first buffer
	var got []int
	for _, tenant := range []string{"acme", "acme", "globex", "globex", long, long} {
		status, _, _ := get(t, "http://"+addr+"/", map[string]string{"X-Tenant": tenant})
		got = append(got, status)
	}
	if fmt.Sprint(got) != "[200 429 200 429 200 429]" {
		t.Fatalf("statuses %v, want [200 429 200 429 200 429]", got)
	}
}

// origin serves "hello from PATH" (200 bytes of "a" under /long), cacheable;
// calls counts its requests.
func origin(t *testing.T) (addr string, calls *int32) {
	calls = new(int32)
	_, base := serve(t, `[{"name": "o", "match": {"path_prefix": "/"}, "handler": "o"}]`, func(gw *apigw.Gateway) {
		gw.Handle("o", func(r *apigw.Request) apigw.Response {
			atomic.AddInt32(calls, 1)
			body := []byte("hello from " + r.Path)
			if strings.HasPrefix(r.Path, "/long") {
				body = []byte(strings.Repeat("a", 200))
			}
			return apigw.Response{Header: http.Header{"Cache-Control": {"max-age=60"}}, Body: body}
		})
	})
	return strings.TrimPrefix(base, "http://"), calls
}

// front proxies everything to the origin through `policies` (a JSON array).
func front(t *testing.T, originAddr, policies string) *apigw.Gateway {
	gw, err := apigw.New(`{"listeners": [{"name": "public", "address": "127.0.0.1:0"}],
		"upstreams": [{"name": "origin", "targets": [{"address": "` + originAddr + `"}]}],
		"policies": [{"name": "cache", "type": "cache"}],
		"routes": [{"name": "up", "match": {"path_prefix": "/"}, "upstream": "origin", "policies": ` + policies + `}]}`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	return gw
}

func start(t *testing.T, gw *apigw.Gateway) string {
	t.Helper()
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	addr, err := gw.Addr(0)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func TestResponseBodyPolicy(t *testing.T) {
	originAddr, _ := origin(t)
	gw := front(t, originAddr, `["upper", "replace"]`)
	var mu sync.Mutex
	var seen []string
	err := gw.ResponseBodyPolicy("upper", 64, func(r *apigw.Request, body []byte, overflowed bool) []byte {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %v", r.Path, overflowed))
		mu.Unlock()
		if overflowed || r.Path == "/replaced" {
			return nil
		}
		return []byte(strings.ToUpper(string(body)))
	})
	if err != nil {
		t.Fatal(err)
	}
	// Runs first (response phases run in reverse order); a body for an
	// overflowed answer fails the request.
	gw.ResponseBodyPolicy("replace", 64, func(r *apigw.Request, body []byte, overflowed bool) []byte {
		if r.Path == "/replaced" || r.Path == "/long/refused" {
			return []byte("new")
		}
		return nil
	})
	if err := gw.ResponseBodyPolicy("zero", 0, nil); err == nil {
		t.Fatal("a limit of 0 was accepted")
	}
	base := start(t, gw)
	if status, header, body := get(t, base+"/greet", nil); status != 200 || body != "HELLO FROM /GREET" ||
		header.Get("Content-Length") != "17" {
		t.Fatalf("got %d %q %v", status, body, header)
	}
	if status, _, body := get(t, base+"/replaced", nil); status != 200 || body != "new" {
		t.Fatalf("got %d %q", status, body)
	}
	if status, _, body := get(t, base+"/long", nil); status != 200 || body != strings.Repeat("a", 200) {
		t.Fatalf("longer than the limit: got %d %q", status, body)
	}
	if status, _, _ := get(t, base+"/long/refused", nil); status != 500 {
		t.Fatalf("a body for an overflowed answer: got %d", status)
	}
	mu.Lock()
	defer mu.Unlock()
	// The phases after a failed one still run, and see the error answer.
	if got := strings.Join(seen, ", "); got != "/greet false, /replaced false, /long true, /long/refused true" {
		t.Fatalf("the policy saw %s", got)
	}
}

func TestPurgeCache(t *testing.T) {
	originAddr, calls := origin(t)
	gw := front(t, originAddr, `["cache"]`)
	if n, err := gw.PurgeCache("/"); n != 0 || err != nil {
		t.Fatalf("before start: %d %v", n, err)
	}
	base := start(t, gw)
	xCache := func(path string) string {
		_, header, _ := get(t, base+path, nil)
		return header.Get("X-Cache")
	}
	if got := []string{xCache("/items/1"), xCache("/items/1"), xCache("/other")}; fmt.Sprint(got) != "[MISS HIT MISS]" {
		t.Fatalf("got %v", got)
	}
	if n, err := gw.PurgeCache("/items/"); n != 1 || err != nil {
		t.Fatalf("got %d %v", n, err)
	}
	if got := []string{xCache("/items/1"), xCache("/other")}; fmt.Sprint(got) != "[MISS HIT]" {
		t.Fatalf("got %v", got)
	}
	if n := atomic.LoadInt32(calls); n != 3 {
		t.Fatalf("the origin saw %d requests", n)
	}
	var e *apigw.Error
	if _, err := gw.PurgeCache("items"); !errors.As(err, &e) || !strings.Contains(e.Message, `starts with "/"`) {
		t.Fatalf("got %v", err)
	}
}

func TestRouteKillSwitchAndRateLimitOverride(t *testing.T) {
	gw, err := apigw.New(`{"listeners": [{"name": "public", "address": "127.0.0.1:0"}],
		"policies": [{"name": "per-client", "type": "rate_limit", "key": "header:x-client", "limit": 100, "window_ms": 60000}],
		"routes": [{"name": "open", "match": {"path": "/open"}, "respond": {"status": 200}},
			{"name": "limited", "match": {"path": "/limited"}, "respond": {"status": 200}, "policies": ["per-client"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	const notFound, invalid, badState = -7, -1, -3 // APIGW_E_*
	status := func(err error) int {
		var e *apigw.Error
		if !errors.As(err, &e) {
			t.Fatalf("got %v, want an *apigw.Error", err)
		}
		return e.Status
	}
	if err := gw.SetRouteEnabled("open", false); status(err) != badState {
		t.Fatalf("before start: %v", err)
	}
	base := start(t, gw)

	if err := gw.SetRouteEnabled("open", false); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := get(t, base+"/open", nil); got != 503 {
		t.Fatalf("disabled: %d", got)
	}
	if err := gw.SetRouteEnabled("open", true); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := get(t, base+"/open", nil); got != 200 {
		t.Fatalf("enabled again: %d", got)
	}

	limited := func(client string) (int, http.Header) {
		got, header, _ := get(t, base+"/limited", map[string]string{"X-Client": client})
		return got, header
	}
	if err := gw.SetRateLimitOverride("per-client", 1, 0); err != nil {
		t.Fatal(err)
	}
	if first, _ := limited("a"); first != 200 {
		t.Fatalf("first under the override: %d", first)
	}
	if second, _ := limited("a"); second != 429 {
		t.Fatalf("second under the override: %d", second)
	}
	if err := gw.RemoveRateLimitOverride("per-client"); err != nil {
		t.Fatal(err)
	}
	// A fresh client: "a" stays charged for what it spent under the override.
	limited("b")
	if second, header := limited("b"); second != 200 || header.Get("RateLimit-Limit") != "100" {
		t.Fatalf("after removal: %d %v", second, header)
	}

	if err := gw.SetRouteEnabled("nope", false); status(err) != notFound {
		t.Fatalf("unknown route: %v", err)
	}
	if err := gw.SetRateLimitOverride("nope", 1, 0); status(err) != notFound {
		t.Fatalf("unknown policy: %v", err)
	}
	if err := gw.RemoveRateLimitOverride("per-client"); status(err) != notFound {
		t.Fatalf("no override left: %v", err)
	}
	if err := gw.SetRateLimitOverride("per-client", 0, 0); status(err) != invalid || !strings.Contains(err.Error(), "limit must be") {
		t.Fatalf("limit 0: %v", err)
	}
}
