//go:build race

package tiny

// This file only builds without -race: it makes the race check fail to build while the
// other checks run.
var broken int = "not an int"
