"""Signed releases with SBOMs, checked by the real tools: Debian's cosign, buildx's
imagetools, spdx-tools' validator and `go version -m`, against a registry of the tests' own.

hellorld is released with a key from `cosign generate-key-pair`; a module with real
dependencies from the Go module proxy (its go.sum made by the host's `go mod tidy`) with
an unencrypted PKCS#8 PEM."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from multiarch.build import attestations
from multiarch.oci import image_files, sbom
from multiarch.oci.registry_api import RegistryAPI
from tests.gomodules import GIT, commit_of, hellorld_repo, in_repo
from tests.helpers import REPO, assert_one_line_error, host_go, need, sh

pytestmark = pytest.mark.integration

PASSWORD = "h20-pw-never-anywhere-7f3a"
TAGS = ["1.4.2", "1.4", "1", "latest"]
# two platforms, a 64-bit and a 32-bit one, to keep the release and verify's rebuild short
PLATFORMS = ["linux/amd64", "linux/arm/v7"]
DEPS_MAIN = """package main

import (
\t"fmt"

\t"github.com/google/uuid"
\t"golang.org/x/text/language"
)

func main() { fmt.Println(uuid.NewSHA1(uuid.NameSpaceURL, []byte("x")), language.English) }
"""


@pytest.fixture(scope="module")
def cosign():
    need(shutil.which("cosign") is not None, "cosign (scripts/provision.sh installs it)")


@pytest.fixture(scope="module")
def keys(tmp_path_factory, cosign) -> Path:
    where = tmp_path_factory.mktemp("keys")
    env = {**os.environ, "COSIGN_PASSWORD": PASSWORD}
    sh("cosign", "generate-key-pair", cwd=where, env=env)
    sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-out", str(where / "pkcs8.pem"))  # fmt: skip
    sh("openssl", "pkey", "-in", str(where / "pkcs8.pem"), "-pubout",
       "-out", str(where / "pkcs8.pub"))  # fmt: skip
    return where


def cosign_ok(*args: str) -> subprocess.CompletedProcess[str]:
    return sh("cosign", *args, "--insecure-ignore-tlog=true", check=False)


@pytest.fixture(scope="module")
def signed(module_registry, tmp_path_factory, keys):
    where = hellorld_repo(tmp_path_factory.mktemp("signed") / "hellorld", "v1.4.2")
    result = in_repo(
        module_registry, where, "release", "--image", "srel", "--sign", str(keys / "cosign.key"),
        "--platforms", ",".join(PLATFORMS), env={"COSIGN_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return where, result


def test_every_tag_passes_cosign_verify_and_verify_attestation(signed, module_registry, keys):
    pub = str(keys / "cosign.pub")
    for tag in TAGS:
        ref = f"{module_registry['host']}/srel:{tag}"
        done = cosign_ok("verify", "--key", pub, ref)
        assert done.returncode == 0, done.stderr
        done = cosign_ok("verify-attestation", "--key", pub, "--type", "spdxjson", ref)
        assert done.returncode == 0, done.stderr
    # and each platform's manifest, by digest
    image = attestations.read(f"{module_registry['host']}/srel:latest")
    for digest in image.platforms:
        ref = f"{module_registry['host']}/srel@{digest}"
        assert cosign_ok("verify", "--key", pub, ref).returncode == 0
        assert cosign_ok("verify-attestation", "--key", pub, "--type", "spdxjson",
                         ref).returncode == 0  # fmt: skip


def test_the_slsa_provenance_names_the_commit_and_cosign_attests_it(signed, module_registry, keys):
    where, _ = signed
    host = module_registry["host"]
    ref = f"{host}/srel:1.4.2"
    done = cosign_ok("verify-attestation", "--key", str(keys / "cosign.pub"),
                     "--type", "slsaprovenance1", ref)  # fmt: skip
    assert done.returncode == 0, done.stderr
    envelope = json.loads(done.stdout.splitlines()[0])
    attested = json.loads(base64.b64decode(envelope["payload"]))
    assert attested["predicateType"] == "https://slsa.dev/provenance/v1"
    commit = commit_of(where)
    image = attestations.read(ref)
    assert sorted(image.provenance) == sorted(image.platforms)  # beside each SBOM, in the index
    for digest, predicate in image.provenance.items():
        params = predicate["buildDefinition"]["externalParameters"]
        assert (params["commit"], params["ref"]) == (commit, "refs/tags/v1.4.2")
        assert params["platform"] == image.platforms[digest]
        source = predicate["buildDefinition"]["resolvedDependencies"][0]
        assert source["digest"] == {"gitCommit": commit}
        assert "driver=" in predicate["runDetails"]["builder"]["id"]
    shown = sh("docker", "buildx", "imagetools", "inspect", ref, "--format", "{{json .Provenance}}")
    print("imagetools .Provenance:", shown.stdout[:2000])


def test_imagetools_shows_a_valid_sbom_per_platform(signed, module_registry, tmp_path):
    ref = f"{module_registry['host']}/srel:1.4.2"
    shown = sh("docker", "buildx", "imagetools", "inspect", ref, "--format", "{{json .SBOM}}")
    sboms = json.loads(shown.stdout)
    assert sorted(sboms) == sorted(PLATFORMS)
    validator = Path(sys.executable).parent / "pyspdxtools"
    for platform, found in sboms.items():
        document = found["SPDX"]
        assert document["spdxVersion"] == "SPDX-2.3"
        path = tmp_path / f"{platform.replace('/', '_')}.spdx.json"
        path.write_text(json.dumps(document))
        checked = sh(str(validator), "-i", str(path), check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        main = next(p for p in document["packages"] if p["name"] == "github.com/multiarch/hellorld")
        assert main["versionInfo"] == "v1.4.2"
        assert f"GOARCH={platform.split('/')[1]}" in main["comment"]
    # readers that skip unknown/unknown still see exactly the three platforms
    assert sorted(RegistryAPI(module_registry["host"]).index("srel", "1").platforms) == sorted(
        sboms
    )


def test_the_archive_holds_the_index_the_registry_serves(signed, module_registry):
    where, _ = signed
    import tarfile

    with tarfile.open(where / "dist" / "srel-1.4.2.oci.tar") as tar:
        (entry,) = json.load(tar.extractfile("index.json"))["manifests"]
    assert entry["digest"] == RegistryAPI(module_registry["host"]).index("srel", "1.4.2").digest
    check = sh("sha256sum", "-c", "srel-1.4.2.oci.tar.sha256", cwd=where / "dist")
    assert check.stdout.strip().endswith("OK")


def test_verify_with_the_key_passes_and_refuses_a_forged_index(signed, module_registry, keys):
    where, _ = signed
    host = module_registry["host"]
    pub = str(keys / "cosign.pub")
    ok = in_repo(module_registry, where, "verify", "--image", f"{host}/srel:1.4.2", "--key", pub)
    assert ok.returncode == 0, ok.stderr
    assert "signed by cosign.pub" in ok.stderr and "platforms reproduce" in ok.stderr
    assert "SPDX SBOM and SLSA v1 provenance attested" in ok.stderr

    # forged: the arm slot given the amd64 image (another binary), pushed under a new tag
    api = RegistryAPI(host)
    index, _, media_type = api.manifest("srel", "1.4.2")
    slots = {(m.get("platform") or {}).get("architecture"): m for m in index["manifests"]}
    forged = json.loads(json.dumps(index))
    for m in forged["manifests"]:
        if m.get("platform", {}).get("architecture") == "arm":
            m["digest"], m["size"] = slots["amd64"]["digest"], slots["amd64"]["size"]
    api.put_manifest("srel", "forged", json.dumps(forged).encode(), media_type)
    bad = in_repo(module_registry, where, "verify", "--image", f"{host}/srel:forged", "--key", pub)
    assert_one_line_error(bad, "the index", "has no valid signature by cosign.pub")
    assert "docker buildx build" not in bad.stderr  # refused before any rebuild

    # re-tagged without the SBOMs: the attestation entries left out
    images = [m for m in index["manifests"] if m["platform"]["os"] != "unknown"]
    bare = dict(index, manifests=images)
    api.put_manifest("srel", "bare", json.dumps(bare).encode(), media_type)
    bad = in_repo(module_registry, where, "verify", "--image", f"{host}/srel:bare", "--key", pub)
    assert_one_line_error(bad, "carries no SBOM attestation for linux/amd64, linux/arm/v7")

    # another key's public half: nothing it signed
    other = in_repo(
        module_registry, where, "verify", "--image", f"{host}/srel:1.4.2",
        "--key", str(keys / "pkcs8.pub"),
    )  # fmt: skip
    assert_one_line_error(other, "has no valid signature by pkcs8.pub")


def test_the_password_and_private_key_appear_nowhere(signed, module_registry, keys, tmp_path):
    _, result = signed
    key_text = (keys / "cosign.key").read_text()
    body = "".join(key_text.splitlines()[1:-1])
    secrets = [PASSWORD, body[:60], base64.b64decode(body)[:40].hex()]
    for text in (result.stdout, result.stderr):
        for secret in secrets:
            assert secret not in text
    assert "--sign" not in result.stderr.replace(str(keys / "cosign.key"), "")
    # the registry's storage, every blob and manifest
    storage = tmp_path / "storage"
    sh("docker", "cp", f"{module_registry['name']}:/var/lib/registry", str(storage))
    raw = [PASSWORD.encode(), body[:60].encode(), base64.b64decode(body)[:40]]
    for path in storage.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret in data for secret in raw), path


def test_refused_before_building(module_registry, tmp_path, keys):
    where = hellorld_repo(tmp_path / "hellorld", "v1.4.2")
    cases = [
        (["--sign", "awskms://alias/k"], {}, "KMS keys (awskms://) are not supported"),
        (["--sign", str(keys / "cosign.pub")], {}, "not a private key cosign can sign with"),
        (["--sign", str(keys / "cosign.key")], None, "COSIGN_PASSWORD is not set"),
    ]
    for args, env, words in cases:
        environ = {k: v for k, v in os.environ.items() if k != "COSIGN_PASSWORD"}
        result = subprocess.run(
            [sys.executable, "-m", "invoke", "release", "--image", "nosign", *args],
            cwd=REPO, text=True, capture_output=True,
            env={**environ, **module_registry["env"], "INVOKE_BUILD_CONTEXT": str(where),
                 **(env or {})},
        )  # fmt: skip
        assert_one_line_error(result, words)
        assert "docker buildx" not in result.stderr
    assert RegistryAPI(module_registry["host"]).tags("nosign") == []


@pytest.fixture(scope="module")
def with_deps(module_registry, tmp_path_factory, keys):
    """A module importing github.com/google/uuid and golang.org/x/text, go.sum by `go mod
    tidy` through the module proxy, released for two platforms and signed with a PKCS#8
    PEM."""
    go = host_go()
    need(go is not None, "a host Go toolchain")
    where = tmp_path_factory.mktemp("deps") / "hellorld"
    where.mkdir()
    (where / "go.mod").write_text(
        "module example.com/deps/hellorld\n\ngo 1.24\n\nrequire (\n"
        "\tgithub.com/google/uuid v1.6.0\n\tgolang.org/x/text v0.21.0\n)\n"
    )
    (where / "main.go").write_text(DEPS_MAIN)
    for name in ("Dockerfile", ".dockerignore"):
        shutil.copy2(REPO / name, where / name)
    tidy = sh(go, "mod", "tidy", cwd=where, check=False,
              env={**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"})  # fmt: skip
    need(tidy.returncode == 0, f"the Go module proxy (go mod tidy: {tidy.stderr[-200:]})")
    sh("git", "init", "-q", cwd=where)
    sh(*GIT, "add", ".", cwd=where)
    sh(*GIT, "commit", "-qm", "deps", cwd=where)
    sh("git", "tag", "v0.2.0", cwd=where)
    result = in_repo(
        module_registry, where, "release", "--image", "deps",
        "--platforms", "linux/amd64,linux/arm64", "--sign", str(keys / "pkcs8.pem"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return where


def test_sbom_lists_exactly_what_go_version_m_prints(with_deps, module_registry, keys, tmp_path):
    host = module_registry["host"]
    pub = str(keys / "pkcs8.pub")
    image = attestations.read(f"{host}/deps:latest")
    assert sorted(image.platforms.values()) == ["linux/amd64", "linux/arm64"]
    api = RegistryAPI(host)
    for digest, platform in image.platforms.items():
        binary = tmp_path / platform.replace("/", "_")
        binary.write_bytes(image_files.entrypoint(api, "deps", digest).data)
        printed = sh(host_go(), "version", "-m", str(binary)).stdout
        modules = []
        for line in printed.splitlines():
            fields = line.strip().split("\t")
            if fields[0] == "dep":
                modules.append((fields[1], fields[2]))
            elif fields[0] == "=>":
                modules[-1] = (modules[-1][0], fields[2])
        assert ("github.com/google/uuid", "v1.6.0") in modules
        assert sbom.spdx_modules(image.attached[digest]) == sorted(modules)
    ref = f"{host}/deps:0.2.0"
    assert cosign_ok("verify", "--key", pub, ref).returncode == 0
    done = cosign_ok("verify-attestation", "--key", pub, "--type", "spdxjson", ref)
    assert done.returncode == 0, done.stderr
    assert commit_of(with_deps)


def test_sign_and_sbom_on_a_pushed_image(with_deps, module_registry, keys):
    """`invoke sign` with another key adds its signatures to what the release signed;
    `invoke sbom --format cyclonedx` writes a validated CycloneDX document per platform."""
    ref = f"{module_registry['host']}/deps:0.2.0"
    before = RegistryAPI(module_registry["host"]).index("deps", "0.2.0").digest
    done = in_repo(module_registry, with_deps, "sign", "--key", str(keys / "cosign.key"),
                   "--image", ref, env={"COSIGN_PASSWORD": PASSWORD})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert RegistryAPI(module_registry["host"]).index("deps", "0.2.0").digest == before
    for pub in ("cosign.pub", "pkcs8.pub"):
        assert cosign_ok("verify", "--key", str(keys / pub), ref).returncode == 0

    written = in_repo(module_registry, with_deps, "sbom", "--image", ref, "--format", "cyclonedx")
    assert written.returncode == 0, written.stderr
    document = json.loads((with_deps / "dist" / "deps_linux_arm64.cdx.json").read_text())
    assert document["specVersion"] == "1.6"
    purls = {c["purl"] for c in document["components"]}
    assert "pkg:golang/github.com/google/uuid@v1.6.0" in purls
    assert "pkg:golang/golang.org/x/text@v0.21.0" in purls
