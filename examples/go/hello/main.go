// The Go binding's first program: a handler in Go, served until Ctrl-C.
//
//	go run . [ADDRESS]   (CGO_CFLAGS=-I.../include CGO_LDFLAGS=-L.../build/release/src LD_LIBRARY_PATH=...)
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"apigw"
)

func main() {
	address := "127.0.0.1:8080"
	if len(os.Args) > 1 {
		address = os.Args[1]
	}
	gw, err := apigw.New(`{"listeners": [{"name": "public", "address": "` + address + `"}],
		"routes": [{"name": "hello", "match": {"path": "/hello/{name}"}, "handler": "hello"}]}`)
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()
	gw.Handle("hello", func(r *apigw.Request) apigw.Response {
		return apigw.Response{Header: http.Header{"Content-Type": {"text/plain"}},
			Body: []byte("hello, " + r.Params["name"] + "\n")}
	})
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	if err := gw.Start(); err != nil {
		log.Fatal(err)
	}
	addr, _ := gw.Addr(0)
	fmt.Printf("listening on http://%s/hello/world\n", addr)
	<-stop
	gw.Stop(time.Second)
}
