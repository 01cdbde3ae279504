module apigw

go 1.19
