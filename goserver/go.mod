module github.com/go-publish/goserver

go 1.26
