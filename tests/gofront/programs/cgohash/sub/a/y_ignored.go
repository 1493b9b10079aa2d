//go:build ignore
// +build ignore

package a

import "C"
