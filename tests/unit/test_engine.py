"""engine: when `docker exec` goes over the socket, and how its request and answer read."""

from __future__ import annotations

import http.server
import json
import socket
import socketserver
import struct
import threading

from multiarch.host import engine


def unix_socket(path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    return s


def test_the_socket_is_used_only_where_the_cli_would_use_it(tmp_path):
    sock = tmp_path / "docker.sock"
    with unix_socket(sock):
        config = tmp_path / "config"
        config.mkdir()
        plain = {"DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(config)}
        assert engine.socket_path(plain) == str(sock)
        assert engine.socket_path({**plain, "DOCKER_HOST": "tcp://10.0.0.2:2376"}) is None
        assert engine.socket_path({**plain, "DOCKER_HOST": "ssh://me@box"}) is None
        assert engine.socket_path({**plain, "DOCKER_CONTEXT": "desktop-linux"}) is None
        (config / "config.json").write_text(json.dumps({"currentContext": "desktop-linux"}))
        assert engine.socket_path(plain) is None
        (config / "config.json").write_text(json.dumps({"currentContext": "default"}))
        assert engine.socket_path(plain) == str(sock)
    missing = {"DOCKER_HOST": f"unix://{tmp_path / 'gone.sock'}", "DOCKER_CONFIG": str(config)}
    assert engine.socket_path(missing) is None


def test_a_docker_exec_command_line_is_the_api_request():
    argv = ["docker", "exec", "-u", "1000:1000", "-w", "/src", "-e", "GOOS=linux",
            "-e", "A=b c", "box", "sh", "-c", "go build -o /out/ ."]  # fmt: skip
    request, container, command = engine._parse(argv)
    assert container == "box" and command == ["sh", "-c", "go build -o /out/ ."]
    assert request["User"] == "1000:1000" and request["WorkingDir"] == "/src"
    assert request["Env"] == ["GOOS=linux", "A=b c"]
    assert request["AttachStdout"] and request["AttachStderr"]


def test_the_attach_stream_splits_into_stdout_and_stderr():
    def frame(kind: int, data: bytes) -> bytes:
        return bytes([kind, 0, 0, 0]) + struct.pack(">I", len(data)) + data

    stream = frame(1, b"built\n") + frame(2, b"main.go:3: error\n") + frame(1, b"done\n")
    assert engine._demultiplex(stream) == ("built\ndone\n", "main.go:3: error\n")
    assert engine._demultiplex(b"") == ("", "")


def test_a_document_over_a_socket_that_does_not_answer_is_none(tmp_path, monkeypatch):
    sock = tmp_path / "docker.sock"
    with unix_socket(sock):  # bound, never listening: refused, as a daemon that is gone
        monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
        assert engine.get("/info") is None


def test_images_are_looked_up_one_by_one_and_those_missing_left_out(tmp_path, monkeypatch):
    held = {"/images/golang:1.24/json": {"Id": "sha256:1", "RepoTags": ["golang:1.24"]}}
    asked = []

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            asked.append(self.path)
            doc = held.get(self.path)
            body = json.dumps(doc or {"message": "No such image"}).encode()
            self.send_response(200 if doc else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def address_string(self):
            return "socket"

        def log_message(self, *args):
            pass

    sock = tmp_path / "docker.sock"
    server = socketserver.UnixStreamServer(str(sock), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
        found = engine.images(["golang:1.24", "ghcr.io/me/base:1 2"])
    finally:
        server.shutdown()
        server.server_close()
    assert found == [held["/images/golang:1.24/json"]]
    assert asked == ["/images/golang:1.24/json", "/images/ghcr.io/me/base:1%202/json"]


def test_images_elsewhere_are_left_to_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.2:2376")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert engine.images(["golang:1.24"]) is None
