module example.com/cgoguard/buggy

go 1.22
