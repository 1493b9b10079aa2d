module example.com/split

go 1.21
