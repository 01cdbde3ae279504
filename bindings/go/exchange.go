package apigw

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"net/http"
	"unsafe"
)

// Request is a copy of the request, taken when the callback starts.
type Request struct {
	Method   string
	Path     string // without the query
	Query    string // without the '?'
	Header   http.Header
	Body     []byte
	Params   map[string]string // the route's {name} path parameters
	Consumer string            // set by an auth policy; "" when none
	ClientIP string

	c *C.apigw_request // only while a policy runs
}

// Response is an answer. Status 0 means 200.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

func goString(s C.apigw_str) string {
	if s.ptr == nil {
		return ""
	}
	return C.GoStringN(s.ptr, C.int(s.len))
}

func newRequest(c *C.apigw_request, writable bool) *Request {
	r := &Request{
		Method:   goString(C.apigw_request_method(c)),
		Path:     goString(C.apigw_request_path(c)),
		Query:    goString(C.apigw_request_query(c)),
		Consumer: goString(C.apigw_request_consumer(c)),
		ClientIP: goString(C.apigw_request_client_ip(c)),
		Header:   http.Header{},
		Params:   map[string]string{},
	}
	if b := C.apigw_request_body(c); b.len > 0 {
		r.Body = C.GoBytes(unsafe.Pointer(b.ptr), C.int(b.len))
	}
	var name, value C.apigw_str
	for i := C.size_t(0); C.apigw_request_header_at(c, i, &name, &value) == C.APIGW_OK; i++ {
		r.Header.Add(goString(name), goString(value))
	}
	for i := C.size_t(0); C.apigw_request_param_at(c, i, &name, &value) == C.APIGW_OK; i++ {
		r.Params[goString(name)] = goString(value)
	}
	if writable {
		r.c = c
	}
	return r
}

var errReadOnly = errors.New("apigw: the request can be changed only by a policy, during its call")

// SetHeader replaces a request header for the rest of the chain (policies only).
func (r *Request) SetHeader(name, value string) error {
	if r.c == nil {
		return errReadOnly
	}
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	if C.apigw_request_set_header(r.c, cn, cv) != C.APIGW_OK {
		return errors.New("apigw: bad header")
	}
	r.Header.Set(name, value)
	return nil
}

// SetConsumer records who the request comes from (policies only).
func (r *Request) SetConsumer(id string) error {
	if r.c == nil {
		return errReadOnly
	}
	cid := C.CString(id)
	defer C.free(unsafe.Pointer(cid))
	C.apigw_request_set_consumer(r.c, cid)
	r.Consumer = id
	return nil
}

// writeTo sets the answer on a C response handle.
func (resp *Response) writeTo(res *C.apigw_response) error {
	status := resp.Status
	if status == 0 {
		status = 200
	}
	if C.apigw_response_set_status(res, C.int32_t(status)) != C.APIGW_OK {
		return errors.New("apigw: status is not 100..599")
	}
	for name, values := range resp.Header {
		for _, v := range values {
			cn, cv := C.CString(name), C.CString(v)
			st := C.apigw_response_set_header(res, cn, cv)
			C.free(unsafe.Pointer(cn))
			C.free(unsafe.Pointer(cv))
			if st != C.APIGW_OK {
				return errors.New("apigw: bad header " + name)
			}
		}
	}
	if len(resp.Body) > 0 {
		// The library copies the body before returning.
		C.apigw_response_set_body(res, unsafe.Pointer(&resp.Body[0]), C.size_t(len(resp.Body)))
	}
	return nil
}
