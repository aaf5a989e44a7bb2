"""The cache of checked rules: hits when nothing changed, misses when anything did."""

import os
import subprocess
import sys

from benchdsl.pipeline import check_paths

from helpers import ROOT, write

RULES = """
indicator cost {
    unit NOK/user
    source "cost"
}
"""


def test_unchanged_rules_are_not_parsed_again_and_a_change_is_seen(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "r").mkdir()
    write(tmp_path / "r", RULES)
    first = check_paths([str(tmp_path / "r")])
    assert first.ok and "parse" in first.timings
    second = check_paths([str(tmp_path / "r")])
    assert second.ok and "parse" not in second.timings
    assert second.program == first.program
    rules = tmp_path / "r" / "rules.bench"
    rules.write_text(rules.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    assert "parse" in check_paths([str(tmp_path / "r")]).timings


def test_a_broken_cache_file_is_a_miss_and_off_means_off(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(cache))
    (tmp_path / "r").mkdir()
    write(tmp_path / "r", RULES)
    check_paths([str(tmp_path / "r")])
    for f in cache.glob("rules-*.pickle"):
        f.write_bytes(b"not a pickle")
    again = check_paths([str(tmp_path / "r")])
    assert again.ok and "parse" in again.timings
    monkeypatch.setenv("BENCHDSL_CACHE", "off")
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "other"))
    check_paths([str(tmp_path / "r")])
    assert not (tmp_path / "other").exists()


def test_a_cached_run_imports_neither_lark_nor_pint(tmp_path):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    script = ("import sys; from benchdsl.cli import main; code = main(['run', %r]);"
              "print(code, 'lark' in sys.modules, 'pint' in sys.modules)" % str(ROOT / "rules"))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
            for _ in range(2)]
    assert runs[0].stdout.splitlines()[-1] == "0 True True"
    assert runs[1].stdout.splitlines()[-1] == "0 False False"
    assert runs[0].stdout == runs[1].stdout.replace("0 False False", "0 True True")
