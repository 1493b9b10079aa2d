package a

var Plain = 1
