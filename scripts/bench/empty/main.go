// Command empty does nothing: the start-up floor of a Go program, built with the flags signet
// is built with, against which scripts/bench-compare.sh measures signet's start-up.
package main

func main() {}
