module example.com/gcforced

go 1.22
