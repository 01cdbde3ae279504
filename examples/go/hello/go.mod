module apigw-example-hello

go 1.19

require apigw v0.0.0

replace apigw => ../../../bindings/go
