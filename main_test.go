package main

import (
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// The platform is the one the binary was compiled for, as OCI names it: on 32-bit ARM
// with its variant (the test binary records GOARM as the program does), elsewhere none.
func TestPlatformNamesTheTarget(t *testing.T) {
	got := platform()
	want := runtime.GOOS + "/" + runtime.GOARCH
	if runtime.GOARCH != "arm" {
		if got != want {
			t.Fatalf("platform() = %q, want %q", got, want)
		}
		return
	}
	if !regexp.MustCompile(`^` + want + `/v[5-7]$`).MatchString(got) {
		t.Fatalf("platform() = %q, want %s/v5, /v6 or /v7", got, want)
	}
}

// What the smoke test reads: one line, name, version, commit and platform.
func TestMainPrintsOneLine(t *testing.T) {
	out := captureStdout(t, main)
	want := "hellorld dev (commit unknown) on " + platform() + "\n"
	if out != want {
		t.Fatalf("main printed %q, want %q", out, want)
	}
}

// The link-time variables end up in the line as set.
func TestVersionAndCommitAreShown(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.4.2", "0af8580"
	out := captureStdout(t, main)
	if !strings.HasPrefix(out, "hellorld v1.4.2 (commit 0af8580) on ") {
		t.Fatalf("main printed %q", out)
	}
}

func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	f()
	w.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
