module example.com/checkptr

go 1.22
