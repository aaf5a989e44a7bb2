"""Where reports and formatted rules are written, and that nothing is ever damaged.

`-o`/`--html` (files.write_output) and `fmt` (files.rewrite), run as separate
processes: devices stay devices, inputs are never overwritten, unwritable
places are errors (exit 2), symlinks/hard links/owner/mode survive fmt, and a
kill leaves no temporary file.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clirun import BENCHDSL, RULES, assert_located_error, bench, env_for

MESSY = "municipality   A 0001  # first\nown A 2007\n"
TIDY = "municipality A 0001  # first\nown A 2007\n"  # by hand: one space after each word


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """One cache for this module's runs of the project's rules, which differ only in where
    the report goes (runs that copy the rules, or test the cache, have their own)."""
    return {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path_factory.mktemp("warm-cache"))}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".benchdsl-"))


def project(tmp_path: Path) -> Path:
    """A copy of the project's rules and panel to write next to."""
    shutil.copytree(Path(RULES), tmp_path / "rules")
    shutil.copytree(Path(RULES).parent / "data", tmp_path / "data")
    return tmp_path / "rules"


# --- -o and --html -------------------------------------------------------------------


def test_o_dash_writes_to_stdout(tmp_path, warm):
    plain = bench(tmp_path, "run", RULES, env=warm)
    dash = bench(tmp_path, "run", RULES, "-o", "-", env=warm)
    assert dash.returncode == plain.returncode == 0
    assert dash.stdout == plain.stdout and "Tabell 4:" in dash.stdout
    assert not (Path.cwd() / "-").exists()


def test_o_dev_null_stays_a_character_device(tmp_path, warm):
    p = bench(tmp_path, "run", RULES, "--format", "json", "-o", "/dev/null", env=warm)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_o_dev_full_is_a_write_error_and_stays_a_device(tmp_path, warm):
    p = bench(tmp_path, "run", RULES, "-o", "/dev/full", env=warm)
    assert_located_error(p, "cannot write /dev/full: no space left on the device")
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_stdout_on_a_full_device_is_a_write_error(tmp_path, warm):
    with open("/dev/full", "w") as full:
        p = bench(tmp_path, "run", RULES, stdout=full, stderr=subprocess.PIPE, capture_output=False, env=warm)
    assert_located_error(p, "cannot write standard output: no space left on the device")
    assert "Exception ignored" not in p.stderr


def test_o_dev_stdout_writes_into_the_pipe_and_keeps_the_link(tmp_path, warm):
    before = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    p = bench(tmp_path, "run", RULES, "-o", "/dev/stdout", env=warm)
    assert p.returncode == 0, p.stderr
    assert "Tabell 4:" in p.stdout and p.stdout.rstrip().endswith("published figures reproduced; 4 report inconsistencies")
    if before is not None:
        assert os.readlink("/dev/stdout") == before


def test_o_into_a_fifo_writes_through(tmp_path, warm):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    p = bench(tmp_path, "run", RULES, "--format", "csv", "-o", str(fifo), env=warm)
    out, _ = reader.communicate(timeout=60)
    assert p.returncode == 0, p.stderr
    assert out.startswith("name,kind,table,")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_o_onto_an_input_is_refused_and_the_input_is_unchanged(tmp_path):
    rules = project(tmp_path)
    panel = tmp_path / "data" / "trondheim2007.csv"
    before = panel.read_bytes()
    p = bench(tmp_path, "run", str(rules), "--format", "csv", "-o", str(panel))
    assert_located_error(p, f"cannot write {panel}: it is an input of this run")
    assert panel.read_bytes() == before and p.stdout == ""
    # a rule file, with -o and with --html; nothing is written before the refusal.  These runs
    # take the checked rules from the cache the first one filled, so read no rule file themselves.
    rule = rules / "asss.bench"
    text = rule.read_bytes()
    for option in ("-o", "--html"):
        p = bench(tmp_path, "run", str(rules), option, str(rule))
        assert_located_error(p, "it is an input of this run")
        assert rule.read_bytes() == text and p.stdout == ""


def test_an_input_under_another_name_is_still_an_input(tmp_path):
    from benchdsl.files import WriteError, check_output

    panel = tmp_path / "panel.csv"
    panel.write_text("x\n", encoding="utf-8")
    os.symlink(panel, tmp_path / "link.csv")
    os.link(panel, tmp_path / "hard.csv")
    (tmp_path / "sub").mkdir()
    for other in ("link.csv", "hard.csv", "sub/../panel.csv"):
        with pytest.raises(WriteError, match="it is an input of this run"):
            check_output(str(tmp_path / other), [str(panel)])
    check_output(str(tmp_path / "report.csv"), [str(panel)])  # another file is fine


def test_unwritable_places_are_errors_not_tracebacks(tmp_path, warm):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    cases = [
        (["-o", "out/report.txt"], "cannot write out/report.txt: the folder out/ does not exist"),
        (["--html", "out/report.html"], "cannot write out/report.html: the folder out/ does not exist"),
        (["-o", "folder"], "cannot write folder: it is a folder"),
        (["-o", "file.txt/report.txt"], "cannot write file.txt/report.txt: file.txt is not a folder"),
        (["-o", "/proc/report.txt"], "cannot write /proc/report.txt: files cannot be created in /proc/"),
    ]
    for option, message in cases:
        p = bench(tmp_path, "run", RULES, *option, cwd=tmp_path, env=warm)
        assert_located_error(p, message)
        assert p.stdout == ""  # the report is not half-delivered: nothing before the error
    assert sorted(x.name for x in tmp_path.iterdir()) == ["file.txt", "folder"]


def test_o_replaces_a_regular_file_keeping_its_mode_and_writes_a_symlinks_target(tmp_path, warm):
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o640)
    link = tmp_path / "link.csv"
    os.symlink("out.csv", link)
    p = bench(tmp_path, "run", RULES, "--format", "csv", "-o", str(link), env=warm)
    assert p.returncode == 0, p.stderr
    assert os.path.islink(link) and os.readlink(link) == "out.csv"
    assert target.read_text(encoding="utf-8").startswith("name,kind,table,")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_batch_output_uses_the_same_policy(tmp_path, warm):
    p = bench(tmp_path, "run", RULES, "--for", "all", "-o", str(tmp_path / "nowhere" / "all.csv"), env=warm)
    assert_located_error(p, "the folder")
    p = bench(tmp_path, "run", RULES, "--for", "all", "-o", "/dev/null", env=warm)
    # exit 1: only Trondheim has volumes in the panel, so most --for all figures are not computed
    assert p.returncode == 1 and stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- fmt ------------------------------------------------------------------------------


def test_fmt_edits_a_symlinks_target(tmp_path):
    real = tmp_path / "real.bench"
    real.write_text(MESSY, encoding="utf-8")
    (tmp_path / "rules").mkdir()
    link = tmp_path / "rules" / "a.bench"
    os.symlink(real, link)
    p = bench(tmp_path, "fmt", str(link))
    assert p.returncode == 0, p.stderr
    assert os.path.islink(link) and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") == TIDY
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "rules") == []


def test_fmt_keeps_hard_links_inode_and_mode(tmp_path):
    a = tmp_path / "a.bench"
    a.write_text(MESSY, encoding="utf-8")
    os.chmod(a, 0o604)
    os.link(a, tmp_path / "b.txt")
    inode = os.stat(a).st_ino
    p = bench(tmp_path, "fmt", str(a))
    assert p.returncode == 0, p.stderr
    st = os.stat(a)
    assert (st.st_ino, st.st_nlink, stat.S_IMODE(st.st_mode)) == (inode, 2, 0o604)
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == TIDY
    assert leftovers(tmp_path) == []


def test_fmt_keeps_mode_and_owner_of_a_single_file(tmp_path):
    a = tmp_path / "a.bench"
    a.write_text(MESSY, encoding="utf-8")
    os.chmod(a, 0o640)
    owner = (os.getuid(), os.getgid())
    if os.geteuid() == 0:  # root can give the file to someone else, and fmt must keep that
        owner = (12345, 12346)
        os.chown(a, *owner)
    p = bench(tmp_path, "fmt", str(a))
    assert p.returncode == 0, p.stderr
    st = os.stat(a)
    assert a.read_text(encoding="utf-8") == TIDY
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (*owner, 0o640)
    assert leftovers(tmp_path) == []


# --- permissions: root ignores them, so as root the CLI runs without those powers ------------

CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 0, 1, 2, 3
PR_CAPBSET_DROP = 24


def _drop_root_powers():  # runs in the child, before exec: a root that permissions and owners bind
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def unprivileged(tmp_path: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    if os.geteuid() != 0:
        return bench(tmp_path, *args, cwd=tmp_path, **kw)
    if not sys.platform.startswith("linux"):
        pytest.skip("dropping root's powers needs Linux")
    try:
        return bench(tmp_path, *args, cwd=tmp_path, preexec_fn=_drop_root_powers, **kw)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot drop root's powers here: {exc}")


def test_fmt_in_a_read_only_folder_and_on_a_read_only_file(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "a.bench").write_text(MESSY, encoding="utf-8")
    os.chmod(ro, 0o555)
    try:
        p = unprivileged(tmp_path, "fmt", "ro")
        assert_located_error(p, "cannot write ro/a.bench: no permission to write in ro/")
        assert (ro / "a.bench").read_text(encoding="utf-8") == MESSY
        assert leftovers(ro) == []
    finally:
        os.chmod(ro, 0o755)
    rw = tmp_path / "rw"
    rw.mkdir()
    (rw / "a.bench").write_text(MESSY, encoding="utf-8")
    os.chmod(rw / "a.bench", 0o444)
    p = unprivileged(tmp_path, "fmt", "rw")
    assert_located_error(p, "cannot write rw/a.bench: the file is read-only")
    assert (rw / "a.bench").read_text(encoding="utf-8") == MESSY
    assert leftovers(rw) == []


def test_o_into_a_read_only_folder(tmp_path, warm):
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    try:
        p = unprivileged(tmp_path, "run", RULES, "-o", "ro/report.txt", env=warm)
        assert_located_error(p, "cannot write ro/report.txt: no permission to write in ro/")
        assert list(ro.iterdir()) == []
    finally:
        os.chmod(ro, 0o755)


def test_fmt_keeps_an_owner_it_cannot_give_by_writing_in_place(tmp_path):
    """A file we may write but whose owner a new file cannot get: fmt copies into it."""
    if os.geteuid() != 0:
        pytest.skip("needs root to hand the file to another user")
    a = tmp_path / "a.bench"
    a.write_text(MESSY, encoding="utf-8")
    os.chmod(a, 0o666)
    os.chown(a, 12345, 12346)
    inode = os.stat(a).st_ino
    p = unprivileged(tmp_path, "fmt", "a.bench")
    assert p.returncode == 0, p.stderr
    st = os.stat(a)
    assert (st.st_ino, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (inode, 12345, 12346, 0o666)
    assert a.read_text(encoding="utf-8") == TIDY
    assert leftovers(tmp_path) == []


# --- kills ----------------------------------------------------------------------------------

KILL_DURING_WRITE = """
import os, signal, sys
from benchdsl import files

real_fsync = os.fsync

def fsync_then_die(fd):  # the temporary file is complete: the worst moment for a kill
    real_fsync(fd)
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))

files.os.fsync = fsync_then_die
{call}
"""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT", "SIGHUP"])
@pytest.mark.parametrize("call", ["files.rewrite(sys.argv[1], 'new\\n')",
                                  "files.write_output(sys.argv[1], 'new\\n')"])
def test_a_kill_while_writing_leaves_no_temporary_file_and_the_original_whole(tmp_path, signame, call):
    target = tmp_path / "a.bench"
    target.write_text("old\n", encoding="utf-8")
    # A shell that starts the suite in the background ignores SIGINT, and the child would inherit
    # that: give it the default disposition, as an interactive run has.
    p = subprocess.run([sys.executable, "-c", KILL_DURING_WRITE.format(call=call), str(target), signame],
                       capture_output=True, text=True, timeout=60,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    if signame == "SIGINT":  # Python's own handler: KeyboardInterrupt after the clean-up
        assert "KeyboardInterrupt" in p.stderr
    else:  # the process ends by the signal, as it would have without us
        assert p.returncode == -getattr(signal, signame), p.stderr
    assert leftovers(tmp_path) == []
    assert target.read_text(encoding="utf-8") == "old\n"


def test_fmt_killed_while_it_writes_leaves_the_file_old_or_new(tmp_path):
    """The real CLI, killed the moment its temporary file shows (or as soon after as we see it)."""
    decls = "".join(f"municipality   M{i} {i:04d}  # c{i}\n" for i in range(300))
    messy = decls + "own M1 2007\n"
    tidy = messy.replace("   ", " ")  # by hand: the only untidy thing is the triple space
    a = tmp_path / "big.bench"
    for _ in range(2):
        a.write_text(messy, encoding="utf-8")
        proc = subprocess.Popen([BENCHDSL, "fmt", str(a)], env=env_for(tmp_path),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            if leftovers(tmp_path):
                proc.send_signal(signal.SIGTERM)
                break
            time.sleep(0.0005)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGTERM), err
        assert leftovers(tmp_path) == []
        assert a.read_text(encoding="utf-8") in (messy, tidy)
