"""Go repositories of the shapes real ones have, with real dependencies from the Go module
proxy: go.sum is written by the host's `go mod tidy`, as a developer's would be."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

from tests.gomodules import git_commit, go_repo
from tests.helpers import host_go, need, sh

# Versions the module proxy serves and host Go 1.26 accepts (grpc 1.85 asks for go 1.26.0).
CHI = "github.com/go-chi/chi/v5@v5.5.0"
GRPC = "google.golang.org/grpc@v1.85.0"
UUID = "github.com/google/uuid@v1.6.0"


def go(*args: str, cwd: Path, **env: str):
    """The host's go command, with the module proxy as the host has it."""
    command = host_go()
    need(command is not None, "a host Go (the machine's, or scripts/provision.sh)")
    environ = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", **env}
    return sh(command, *args, cwd=cwd, env=environ)


def tidy(where: Path, *requires: str) -> None:
    """`go get` the requirements, then `go mod tidy`: go.mod and go.sum as go writes them."""
    if requires:
        go("get", *requires, cwd=where, GOWORK="off")
    go("mod", "tidy", cwd=where, GOWORK="off")


SERVER_MAIN = """package main

import (
	"flag"
	"log"
	"net/http"

	"example.com/server/internal/handler"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "where to listen")
	flag.Parse()
	log.Fatal(http.ListenAndServe(*addr, handler.Router()))
}
"""
SERVER_HANDLER = """package handler

import (
	"fmt"
	"net/http"
	"runtime"

	"github.com/go-chi/chi/v5"
	"google.golang.org/grpc/codes"
)

// Router answers GET / with the platform and a gRPC status code's name.
func Router() http.Handler {
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s/%s %s\\n", runtime.GOOS, runtime.GOARCH, codes.OK)
	})
	return r
}
"""
SERVER_TEST = """package handler

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRouterAnswers(t *testing.T) {
	rec := httptest.NewRecorder()
	Router().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || !strings.HasSuffix(rec.Body.String(), " OK\\n") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}
"""


def server(where: Path) -> Path:
    """An HTTP server with a chi router and grpc's status codes: cmd/server, internal/,
    go 1.26.0 (what grpc asks for), listening on localhost unless told otherwise."""
    files = {
        "go.mod": "module example.com/server\n\ngo 1.25.0\n",
        "cmd/server/main.go": SERVER_MAIN,
        "internal/handler/handler.go": SERVER_HANDLER,
        "internal/handler/handler_test.go": SERVER_TEST,
        "invoke.yaml": "build:\n  main: ./cmd/server\n"
        "smoke:\n  args: -addr=:8080\n  http: 8080/\n  expect: '^{os}/{arch} OK'\n",
    }
    return _repo(where, files, CHI, GRPC)


TOOL_MAIN = """package main

import (
	"fmt"
	"runtime"

	"example.com/tool/v2/internal/ids"
)

func main() { fmt.Println(runtime.GOOS+"/"+runtime.GOARCH, ids.Version()) }
"""
TOOL_IDS = """package ids

import "github.com/google/uuid"

// Version of a name-based UUID: 5, from whichever uuid module the build uses.
func Version() string { return uuid.NewSHA1(uuid.NameSpaceURL, []byte("x")).Version().String() }
"""
TOOL_TEST = """package ids

import "testing"

func TestVersion(t *testing.T) {
	if got := Version(); got != "VERSION_5" {
		t.Fatalf("got %s", got)
	}
}
"""


def tool_v2(where: Path) -> Path:
    """A /v2 module with cmd/tool and a replace directive to another version of a proxied
    module (uuid v1.6.0 => v1.5.0), go 1.25.0."""
    files = {
        "go.mod": "module example.com/tool/v2\n\ngo 1.25.0\n",
        "cmd/tool/main.go": TOOL_MAIN,
        "internal/ids/ids.go": TOOL_IDS,
        "internal/ids/ids_test.go": TOOL_TEST,
        "invoke.yaml": "build:\n  main: ./cmd/tool\nsmoke:\n  expect: '^{os}/{arch} VERSION_5'\n",
    }

    def replace(mod: Path) -> None:
        with (mod / "go.mod").open("a") as f:
            f.write("\nreplace github.com/google/uuid => github.com/google/uuid v1.5.0\n")

    return _repo(where, files, UUID, before_tidy=replace)


VENDORED_MAIN = """package main

import (
	"fmt"
	"runtime"

	"github.com/google/uuid"
)

func main() {
	fmt.Println(runtime.GOOS+"/"+runtime.GOARCH, uuid.NewSHA1(uuid.NameSpaceURL, []byte("x")))
}
"""
VENDORED_TEST = """package main

import "testing"

func TestNothingNeedsTheNetwork(t *testing.T) {}
"""


def vendored(where: Path) -> Path:
    """A module whose dependencies are in vendor/ (`go mod vendor`), built with no network
    at all (go.network: none)."""
    files = {
        "go.mod": "module example.com/vend\n\ngo 1.24.0\n",
        "main.go": VENDORED_MAIN,
        "main_test.go": VENDORED_TEST,
        "invoke.yaml": "go:\n  network: none\n"
        "smoke:\n  expect: '^{os}/{arch} 4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4'\n",
    }
    return _repo(where, files, UUID, after_tidy=lambda mod: go("mod", "vendor", cwd=mod))


NEWER_MAIN = """package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Println(runtime.GOOS+"/"+runtime.GOARCH, runtime.Version()) }
"""
# newer than any golang stand-in (scripts/standins/golang/versions): go fetches it
NEWER_GO = "1.26.11"


def newer(where: Path) -> Path:
    """A module whose go line is newer than any local golang image: the build's go fetches
    that Go through the module proxy (GOTOOLCHAIN=auto)."""
    files = {
        "go.mod": f"module example.com/newer\n\ngo {NEWER_GO}\n",
        "main.go": NEWER_MAIN,
        "main_test.go": VENDORED_TEST,
        "invoke.yaml": f"smoke:\n  expect: '^{{os}}/{{arch}} go{NEWER_GO}$'\n",
    }
    return go_repo(where, files)


WORKSPACE_MAIN = """package main

import (
	"fmt"
	"runtime"

	"github.com/google/uuid"
)

func main() { fmt.Println(runtime.GOOS+"/"+runtime.GOARCH, uuid.Marker) }
"""


def marker(sibling: Path, text: str) -> None:
    """The sibling checkout's own addition, which the proxied module does not have."""
    (sibling / "marker.go").write_text(f'package uuid\n\nconst Marker = "{text}"\n')


def workspace(where: Path) -> Path:
    """A go.work workspace: the app requires github.com/google/uuid from the proxy, and
    the sibling checkout ../uuid *is* that module, with a change of its own. Returns the
    app's directory."""
    app = go_repo(
        where / "app",
        {
            "go.mod": "module example.com/app\n\ngo 1.24.0\n",
            "main.go": WORKSPACE_MAIN,
            "main_test.go": VENDORED_TEST,
            # the app's tests only: uuid's own TestVersion6 fails now and then under
            # qemu-aarch64 ("time reversed": the emulated clock), seen here
            "invoke.yaml": "smoke:\n  expect: '^{os}/{arch} sibling one$'\n"
            "test:\n  packages: ./...\n",
        },
    )
    # go get, without the marker it cannot resolve outside the workspace
    go("get", UUID, cwd=app, GOWORK="off")
    sibling = where / "uuid"
    source = json.loads(go("mod", "download", "-json", UUID, cwd=app, GOWORK="off").stdout)
    shutil.copytree(source["Dir"], sibling)
    for path in [sibling, *sibling.rglob("*")]:  # the module cache's files are read-only
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    marker(sibling, "sibling one")
    git_commit(sibling)
    (where / "go.work").write_text("go 1.24.0\n\nuse (\n\t./app\n\t./uuid\n)\n")
    sh("git", "add", ".", cwd=app)
    sh("git", "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "deps",
       cwd=app)  # fmt: skip
    return app


def _repo(where: Path, files: dict[str, str], *requires: str, before_tidy=None, after_tidy=None):
    """go_repo, with go.mod and go.sum made by go get and go mod tidy before the commit."""
    for name, text in files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text)
    if before_tidy:
        before_tidy(where)
    tidy(where, *requires)
    if after_tidy:
        after_tidy(where)
    return go_repo(where, {})
