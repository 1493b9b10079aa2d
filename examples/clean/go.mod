module example.com/cgoguard/clean

go 1.22
