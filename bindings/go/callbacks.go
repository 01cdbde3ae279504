package apigw

/*
#include "shim.h"
*/
import "C"

import (
	"log"
	"runtime/cgo"
	"unsafe"
)

// callback is what a cgo.Handle given to the library as `user` points at.
type callback struct {
	name string
	fn   interface{} // HandlerFunc, PolicyFunc, ResponseBodyFunc or RateLimitKeyFunc
}

//export goHandler
func goHandler(user C.uintptr_t, req *C.apigw_request, res *C.apigw_response) (status C.int32_t) {
	cb := cgo.Handle(user).Value().(*callback)
	// Nothing unwinds into C: a panic becomes a 500.
	defer func() {
		if p := recover(); p != nil {
			log.Printf("apigw: handler %q panicked: %v", cb.name, p)
			status = C.APIGW_E_INTERNAL
		}
	}()
	answer := cb.fn.(HandlerFunc)(newRequest(req, false))
	if err := answer.writeTo(res); err != nil {
		log.Printf("apigw: handler %q: %v", cb.name, err)
		return C.APIGW_E_INTERNAL
	}
	return C.APIGW_OK
}

//export goPolicy
func goPolicy(user C.uintptr_t, req *C.apigw_request, res *C.apigw_response) (decision C.int32_t) {
	cb := cgo.Handle(user).Value().(*callback)
	defer func() {
		if p := recover(); p != nil {
			log.Printf("apigw: policy %q panicked: %v", cb.name, p)
			decision = C.APIGW_FAIL
		}
	}()
	answer := cb.fn.(PolicyFunc)(newRequest(req, true))
	if answer == nil {
		return C.APIGW_CONTINUE
	}
	if err := answer.writeTo(res); err != nil {
		log.Printf("apigw: policy %q: %v", cb.name, err)
		return C.APIGW_FAIL
	}
	return C.APIGW_RESPOND
}

//export goResponseBody
func goResponseBody(user C.uintptr_t, req *C.apigw_request, res *C.apigw_response) (decision C.int32_t) {
	cb := cgo.Handle(user).Value().(*callback)
	defer func() {
		if p := recover(); p != nil {
			log.Printf("apigw: policy %q panicked: %v", cb.name, p)
			decision = C.APIGW_FAIL
		}
	}()
	overflowed := C.apigw_response_body_overflowed(res) == 1
	var body []byte
	if b := C.apigw_response_body(res); b.len > 0 {
		body = C.GoBytes(unsafe.Pointer(b.ptr), C.int(b.len))
	}
	replaced := cb.fn.(ResponseBodyFunc)(newRequest(req, false), body, overflowed)
	if replaced == nil {
		return C.APIGW_CONTINUE
	}
	var p unsafe.Pointer
	if len(replaced) > 0 {
		p = unsafe.Pointer(&replaced[0])
	}
	// The library copies the body before returning.
	if C.apigw_response_set_body(res, p, C.size_t(len(replaced))) != C.APIGW_OK {
		log.Printf("apigw: policy %q: the answer overflowed its limit: its body cannot be replaced", cb.name)
		return C.APIGW_FAIL
	}
	return C.APIGW_CONTINUE
}

//export goRateLimitKey
func goRateLimitKey(user C.uintptr_t, req *C.apigw_request, buf *C.char, buflen C.size_t) (n C.size_t) {
	cb := cgo.Handle(user).Value().(*callback)
	// A panic is a request without a key.
	defer func() {
		if p := recover(); p != nil {
			log.Printf("apigw: rate-limit key %q panicked: %v", cb.name, p)
			n = 0
		}
	}()
	key := cb.fn.(RateLimitKeyFunc)(newRequest(req, false))
	if len(key) > 0 && len(key) <= int(buflen) {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(key)), key)
	}
	return C.size_t(len(key)) // above buflen: called again with room for it
}
