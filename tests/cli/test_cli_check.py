"""`ivr check FOLDER` as staff run it from a terminal: what it says of a folder that is not there."""
import subprocess
import sys


def ivr_check(folder, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", "check", str(folder)],
                          cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=60)


def test_a_folder_that_does_not_exist_is_said_plainly_without_talk_of_callers(tmp_path):
    result = ivr_check("nosuchdir", tmp_path)

    assert result.stdout == "nosuchdir:1:1: this folder does not exist\n"
    assert "callers" not in result.stderr and "last good flows" not in result.stderr
    assert result.returncode == 1
