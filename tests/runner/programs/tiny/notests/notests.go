// Package notests has no test files: go test runs no binary for it.
package notests

// Value is a value.
const Value = 1
