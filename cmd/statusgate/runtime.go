package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// defaultGCPercent is the garbage collector's target unless GOGC is set. Go's 100
// spent a quarter of a busy gateway's CPU on marking and allocating: the live heap
// is small (tens of MiB with thousands of receivers) and each delivery allocates
// about 50 KiB that dies at once, so letting the heap grow to five times the live
// data costs little memory and halves that work.
const defaultGCPercent = 400

// tuneRuntime applies defaultGCPercent unless the operator chose GOGC.
func tuneRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// startCPUProfile writes a CPU profile of the whole run to path (the environment's
// STATUSGATE_CPU_PROFILE), for `go tool pprof`; the function it returns stops it.
// It is how the load command's figures are explained, and off unless asked for.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("STATUSGATE_CPU_PROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("STATUSGATE_CPU_PROFILE: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
