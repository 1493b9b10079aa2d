package view

import "testing"

func TestCount(t *testing.T) {
	if Count(&header{count: 3}) != 3 {
		t.Fatal("count")
	}
}

func TestTrailer(t *testing.T) {
	_ = Trailer()
}
