"""Runner: a command's stderr passed on as it comes, and its failure explained."""

import pytest

from multiarch.core.command import TAIL, Runner, cause
from multiarch.core.errors import UserError


def failing(*lines: str) -> list[str]:
    """sh printing `lines` on stderr, what it read on stdin, then failing."""
    script = "".join(f"echo '{line}' >&2; " for line in lines) + "cat >&2; exit 3"
    return ["sh", "-c", script]


def test_explain_turns_the_kept_output_into_the_error(capfd):
    seen = []

    def explain(lines):
        seen.extend(lines)
        return UserError("explained", "do this") if "the cause" in lines else None

    with pytest.raises(UserError) as e:
        Runner().run(failing("progress", "the cause"), input="from stdin\n", explain=explain)
    assert (e.value.message, e.value.hint) == ("explained", "do this")
    assert seen[:3] == ["progress", "the cause", "from stdin"]
    # passed on to our stderr as well, not swallowed
    assert "the cause" in capfd.readouterr().err


def test_unexplained_failure_names_the_command_and_its_last_line():
    with pytest.raises(UserError) as e:
        Runner().run(failing("one", "last words"), input="", hint="h", explain=lambda _: None)
    assert "`sh -c" in e.value.message and "exit 3" in e.value.message
    assert e.value.message.endswith(": last words") and e.value.hint == "h"


def test_only_the_last_lines_are_kept():
    many = ["sh", "-c", f"seq {TAIL * 3} >&2; exit 1"]
    with pytest.raises(UserError) as e:
        Runner().run(many, explain=lambda lines: UserError(f"{len(lines)} {lines[-1]}"))
    assert e.value.message == f"{TAIL} {TAIL * 3}"


def test_success_returns_normally():
    assert Runner().run(["true"], explain=lambda _: UserError("never")).returncode == 0


def test_a_docker_failure_gives_the_daemons_words_not_the_usage_hint(tmp_path):
    said = tmp_path / "said"
    said.write_text(
        'docker: Error response from daemon: invalid mount config for type "bind": '
        "bind source path does not exist: /tmp/x.\n"
        "Run 'docker run --help' for more information\n"
    )
    with pytest.raises(UserError) as e:
        Runner().run(["sh", "-c", f"cat {said} >&2; exit 125"], capture=True)
    assert e.value.message.endswith(
        ': Error response from daemon: invalid mount config for type "bind": '
        "bind source path does not exist: /tmp/x."
    )
    assert cause("unknown flag: --bogus\nSee 'docker run --help'.") == "unknown flag: --bogus"
