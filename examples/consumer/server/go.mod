module example.com/consumer/server

go 1.26
