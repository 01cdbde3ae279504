// Package apigw embeds the apigw API gateway in a Go program, through its C
// ABI (libapigw.so), with handlers and policies written in Go.
//
//	gw, err := apigw.New(configJSON)
//	gw.Handle("hello", func(r *apigw.Request) apigw.Response {
//		return apigw.Response{Status: 200, Body: []byte("hi")}
//	})
//	err = gw.Start()
//	defer gw.Close()
//
// Handlers and policies run on the gateway's worker threads, concurrently.
package apigw

/*
#cgo LDFLAGS: -lapigw
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

const errBufSize = 64 * 1024 // room for every config error

// Error is a failed call into apigw; Status is the C status code (APIGW_E_*).
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// ConfigError: the config does not validate. Errors holds every error,
// each "JSON-POINTER: message".
type ConfigError struct {
	Status  int
	Message string
	Errors  []string
}

func (e *ConfigError) Error() string { return e.Message }

// call runs f with a C error buffer and turns a failed status into an error.
func call(f func(err *C.char, errlen C.size_t) C.int32_t) error {
	buf := (*C.char)(C.malloc(errBufSize))
	defer C.free(unsafe.Pointer(buf))
	*buf = 0
	status := f(buf, errBufSize)
	if status == C.APIGW_OK {
		return nil
	}
	msg := C.GoString(buf)
	if msg == "" {
		msg = C.GoString(C.apigw_status_str(status))
	}
	if status == C.APIGW_E_CONFIG {
		return &ConfigError{int(status), msg, strings.Split(msg, "\n")}
	}
	return &Error{int(status), msg}
}

// Version of the loaded library.
func Version() string { return C.GoString(C.apigw_version()) }

// Gateway is a gateway built from a JSON config. Its methods are safe to
// call from any goroutine.
type Gateway struct {
	mu      sync.Mutex
	c       *C.apigw_gateway
	handles []cgo.Handle // released on Close, after the gateway is gone
}

// New parses and checks a JSON config (SPEC.md section 2). Routes may name
// handlers and policies registered before Start.
func New(configJSON string) (*Gateway, error) {
	cjson := C.CString(configJSON)
	defer C.free(unsafe.Pointer(cjson))
	var c *C.apigw_gateway
	err := call(func(e *C.char, n C.size_t) C.int32_t {
		return C.apigw_gateway_new_from_json(cjson, C.size_t(len(configJSON)), &c, e, n)
	})
	if err != nil {
		return nil, err
	}
	return &Gateway{c: c}, nil
}

// HandlerFunc answers a request. A panic becomes a 500 (and is logged).
type HandlerFunc func(*Request) Response

// PolicyFunc runs before the route's target: nil lets the request go on,
// a Response answers it at once. It may change the request with SetHeader
// and SetConsumer. A panic fails the request with a 500.
type PolicyFunc func(*Request) *Response

// Handle registers handler `name`, as routes name it in the config.
func (g *Gateway) Handle(name string, fn HandlerFunc) error {
	return g.register(name, fn, func(c *C.apigw_gateway, n *C.char, h C.uintptr_t, e *C.char, l C.size_t) C.int32_t {
		return C.apigw_go_add_handler(c, n, h, e, l)
	})
}

// Policy registers a custom policy stage `name`, for a route's "policies".
func (g *Gateway) Policy(name string, fn PolicyFunc) error {
	return g.register(name, fn, func(c *C.apigw_gateway, n *C.char, h C.uintptr_t, e *C.char, l C.size_t) C.int32_t {
		return C.apigw_go_add_policy(c, n, h, e, l)
	})
}

// ResponseBodyFunc reads or rewrites an answer's body: it gets the whole
// body of answers up to the policy's limit (a proxied answer is held until
// it ends) and returns the new body, or nil to leave it. A longer answer
// streams on unchanged: the function is called once with what arrived and
// overflowed set, and must return nil. A panic, or a body returned for an
// overflowed answer, fails the request with a 500 (and is logged).
type ResponseBodyFunc func(r *Request, body []byte, overflowed bool) []byte

// ResponseBodyPolicy registers a custom policy stage `name` that runs fn on
// the answers of the routes listing it, holding up to limit bytes (> 0).
func (g *Gateway) ResponseBodyPolicy(name string, limit int, fn ResponseBodyFunc) error {
	if limit <= 0 {
		return &Error{int(C.APIGW_E_INVALID), "apigw: limit is the largest body fn reads, in bytes: above 0"}
	}
	return g.register(name, fn, func(c *C.apigw_gateway, n *C.char, h C.uintptr_t, e *C.char, l C.size_t) C.int32_t {
		return C.apigw_go_add_response_body_policy(c, n, h, C.size_t(limit), e, l)
	})
}

// RateLimitKeyFunc gives a request's key for rate_limit and quota policies
// with "key": "host:NAME". "" means no key (the policy's missing_key
// applies); so does a panic (logged). It may be called twice for keys over
// 256 bytes.
type RateLimitKeyFunc func(*Request) string

// RateLimitKey registers rate-limit key function `name`.
func (g *Gateway) RateLimitKey(name string, fn RateLimitKeyFunc) error {
	return g.register(name, fn, func(c *C.apigw_gateway, n *C.char, h C.uintptr_t, e *C.char, l C.size_t) C.int32_t {
		return C.apigw_go_add_rate_limit_key(c, n, h, e, l)
	})
}

type addFunc func(*C.apigw_gateway, *C.char, C.uintptr_t, *C.char, C.size_t) C.int32_t

func (g *Gateway) register(name string, fn interface{}, add addFunc) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.c == nil {
		return errClosed
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	h := cgo.NewHandle(&callback{name: name, fn: fn})
	if err := call(func(e *C.char, n C.size_t) C.int32_t { return add(g.c, cname, C.uintptr_t(h), e, n) }); err != nil {
		h.Delete() // a failed registration never calls back
		return err
	}
	g.handles = append(g.handles, h)
	return nil
}

var errClosed = &Error{int(C.APIGW_E_STATE), "the gateway was closed"}

func (g *Gateway) live() (*C.apigw_gateway, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.c == nil {
		return nil, errClosed
	}
	return g.c, nil
}

// Start binds the listeners and serves on worker threads; returns at once.
func (g *Gateway) Start() error {
	c, err := g.live()
	if err != nil {
		return err
	}
	return call(func(e *C.char, n C.size_t) C.int32_t { return C.apigw_gateway_start(c, e, n) })
}

// Reload swaps in a new config; handlers and policies carry over. On error
// the old config keeps serving.
func (g *Gateway) Reload(configJSON string) error {
	c, err := g.live()
	if err != nil {
		return err
	}
	cjson := C.CString(configJSON)
	defer C.free(unsafe.Pointer(cjson))
	return call(func(e *C.char, n C.size_t) C.int32_t {
		return C.apigw_gateway_reload_json(c, cjson, C.size_t(len(configJSON)), e, n)
	})
}

// PurgeCache removes the answers whose path starts with prefix ("/": all)
// from every cache policy and returns how many.
func (g *Gateway) PurgeCache(prefix string) (int, error) {
	c, err := g.live()
	if err != nil {
		return 0, err
	}
	cprefix := C.CString(prefix)
	defer C.free(unsafe.Pointer(cprefix))
	var removed C.uint64_t
	err = call(func(e *C.char, n C.size_t) C.int32_t {
		return C.apigw_gateway_purge_cache(c, cprefix, C.size_t(len(prefix)), &removed, e, n)
	})
	return int(removed), err
}

// SetRouteEnabled is the kill switch: a disabled route answers 503 with
// Retry-After until enabled again, across reloads. A route the running
// config does not have is an *Error with Status APIGW_E_NOT_FOUND (-7);
// before Start, APIGW_E_STATE.
func (g *Gateway) SetRouteEnabled(route string, enabled bool) error {
	c, err := g.live()
	if err != nil {
		return err
	}
	croute := C.CString(route)
	defer C.free(unsafe.Pointer(croute))
	var on C.int32_t
	if enabled {
		on = 1
	}
	return call(func(e *C.char, n C.size_t) C.int32_t {
		return C.apigw_gateway_set_route_enabled(c, croute, on, e, n)
	})
}

// SetRateLimitOverride gives rate_limit policy `policy` a new limit
// (1..1e9) and burst (0..1e9), window unchanged, across reloads until
// removed. A policy the running config does not have is an *Error with
// Status APIGW_E_NOT_FOUND (-7); a limit out of range, APIGW_E_INVALID.
func (g *Gateway) SetRateLimitOverride(policy string, limit, burst uint64) error {
	c, err := g.live()
	if err != nil {
		return err
	}
	cpolicy := C.CString(policy)
	defer C.free(unsafe.Pointer(cpolicy))
	return call(func(e *C.char, n C.size_t) C.int32_t {
		return C.apigw_gateway_set_rate_limit_override(c, cpolicy, C.uint64_t(limit), C.uint64_t(burst), e, n)
	})
}

// RemoveRateLimitOverride puts the config's limit back; a policy without
// an override is an *Error with Status APIGW_E_NOT_FOUND (-7).
func (g *Gateway) RemoveRateLimitOverride(policy string) error {
	c, err := g.live()
	if err != nil {
		return err
	}
	cpolicy := C.CString(policy)
	defer C.free(unsafe.Pointer(cpolicy))
	return call(func(e *C.char, n C.size_t) C.int32_t {
		return C.apigw_gateway_remove_rate_limit_override(c, cpolicy, e, n)
	})
}

// Stop stops accepting and lets requests in flight finish for up to drain.
func (g *Gateway) Stop(drain time.Duration) {
	if c, err := g.live(); err == nil {
		C.apigw_gateway_stop(c, C.int64_t(drain.Milliseconds()))
	}
}

// Close stops at once if needed and frees the gateway.
func (g *Gateway) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.c == nil {
		return
	}
	C.apigw_gateway_free(g.c) // no callback runs after this returns
	g.c = nil
	for _, h := range g.handles {
		h.Delete()
	}
	g.handles = nil
}

// Addr is "IP:PORT" of listener `index` once started (useful with port 0).
func (g *Gateway) Addr(index int) (string, error) {
	c, err := g.live()
	if err != nil {
		return "", err
	}
	buf := (*C.char)(C.malloc(256))
	defer C.free(unsafe.Pointer(buf))
	if st := C.apigw_gateway_address(c, C.size_t(index), buf, 256); st != C.APIGW_OK {
		return "", fmt.Errorf("no listener %d: %s", index, C.GoString(C.apigw_status_str(st)))
	}
	return C.GoString(buf), nil
}
