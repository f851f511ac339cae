// hellorld prints one line that says what it is and where it runs: its name, the
// platform it was compiled for, and the version and commit set at link time.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at link time: go build -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// platform names the target as OCI platforms do: linux/arm/v7, linux/amd64.
func platform() string {
	p := runtime.GOOS + "/" + runtime.GOARCH
	if runtime.GOARCH != "arm" {
		return p
	}
	// GOARM is a build setting, not a runtime constant: the build info records it.
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOARM" {
				return p + "/v" + strings.SplitN(s.Value, ",", 2)[0]
			}
		}
	}
	return p
}

func main() {
	fmt.Printf("hellorld %s (commit %s) on %s\n", version, commit, platform())
}
