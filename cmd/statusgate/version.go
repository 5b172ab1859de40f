package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time: go build -ldflags "-X main.version=1.2.0 -X main.commit=abc1234".
// Without them the module version and VCS revision Go stamps into the binary are used,
// and "dev" when there are none (go run).
var (
	version = ""
	commit  = ""
)

// buildInfo is what `statusgate version` prints and the start-up log line carries.
type buildInfo struct {
	Version, Commit, GoVersion string
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && b.Commit == "" {
				b.Commit = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if len(b.Commit) > 12 {
		b.Commit = b.Commit[:12]
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

func (b buildInfo) String() string {
	return fmt.Sprintf("statusgate %s (commit %s, %s)", b.Version, b.Commit, b.GoVersion)
}
