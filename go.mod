module github.com/tollgate-gw/tollgate

go 1.26
