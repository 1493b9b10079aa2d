module memprog

go 1.21
