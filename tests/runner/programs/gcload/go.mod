module example.com/gcload

go 1.22
