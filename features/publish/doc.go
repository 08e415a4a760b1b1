// Package publish writes outputs so that readers see all of a run or none
// of it.
//
// A file is written beside its target and renamed over it (File). A folder
// of files that belong together (a model with its metrics and charts, a
// training set with its summary) is written into a staging folder beside
// the target and swapped in with one rename (Dir), so a crash, a kill -9
// or an interrupt at any moment leaves either the previous folder whole or
// the new one whole, never a mix, and nothing from an earlier run survives
// in a new one.
//
// Temporaries carry the writing process's id in their names. Those whose
// process is gone are stale and are removed by the next write beside them,
// so a killed run leaves nothing behind for long.
package publish
