module example.com/hashcheck

go 1.11
