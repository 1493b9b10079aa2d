package a

import "C"

var OnlyWindows = 1
