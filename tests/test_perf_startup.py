"""Start-up of ``scolint check``: the rule cache, lazy imports, the entry-point pre-check.

The rule cache (engine/rulecache.py) must give exactly the rules a full load gives, see
every change of a rule file or of what the checks depend on, and never hide an error;
the commands ``check`` does not run must not be imported by it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scolint.engine import rulecache, rules
from scolint.engine.cli import main
from scolint.engine.errors import RuleFileError
from scolint.engine.evaluate import make_environment
from scolint.engine.manager import get_plugin_host, may_declare_entry_points
from scolint.engine.rules import load_rules


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A private cache folder for the test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(rulecache.ENV_DIR, str(folder))
    monkeypatch.delenv(rulecache.ENV_DISABLE, raising=False)
    # The engine's sources as they are now: an edit of engine/*.py during the test (a
    # shared checkout) would rightly start another cache file.
    stamps = rulecache._code_stamps()
    monkeypatch.setattr(rulecache, "_code_stamps", lambda: stamps)
    return folder


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The paths of the rule files actually parsed (not taken from the cache)."""
    seen: list[str] = []
    original = rules.parse_rule

    def counting(path, text, registries, env):
        seen.append(str(path))
        return original(path, text, registries, env)

    monkeypatch.setattr(rules, "parse_rule", counting)
    return seen


@pytest.fixture
def pack(tmp_path, host) -> Path:
    """A copy of the default rules, free to edit."""
    target = tmp_path / "regles"
    shutil.copytree(host.rule_paths()[0], target)
    return target


def _load(host, paths):
    return load_rules(paths, host.registries, make_environment(host.registries))


def _uncached(host, paths, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv(rulecache.ENV_DISABLE, "1")
        return _load(host, paths)


def _as_data(loaded):
    return [dataclasses.asdict(r) for r in loaded]


def test_cache_hit_gives_the_same_rules_without_parsing(host, pack, cache, parses, monkeypatch):
    expected = _uncached(host, [pack], monkeypatch)
    first = _load(host, [pack])
    assert len(parses) == 2 * len(expected)  # uncached, then cold cache
    assert list(cache.glob("regles-*.pickle"))
    del parses[:]
    second = _load(host, [pack])
    assert parses == []  # every rule came from the cache
    assert second == first == expected
    assert _as_data(second) == _as_data(expected)  # lines, raw data, options included
    assert all(r.line("message") == e.line("message") for r, e in zip(second, expected))


def test_edited_rule_file_is_read_again(host, pack, cache, parses, monkeypatch):
    _load(host, [pack])
    target = sorted(pack.rglob("*.yml"))[3]
    text = target.read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    target.write_text(text.replace(title, "title: Titre modifié pour le test"), "utf-8")
    del parses[:]
    loaded = _load(host, [pack])
    assert parses == [str(target)]  # only the edited file is parsed again
    assert [r.title for r in loaded if r.path == str(target)] == ["Titre modifié pour le test"]
    assert loaded == _uncached(host, [pack], monkeypatch)


def test_errors_are_the_same_with_a_warm_cache(host, pack, cache, monkeypatch):
    _load(host, [pack])
    target = sorted(pack.rglob("*.yml"))[0]
    target.write_text(target.read_text("utf-8").replace("severity:", "gravite:", 1), "utf-8")
    with pytest.raises(RuleFileError) as cold:
        _uncached(host, [pack], monkeypatch)
    with pytest.raises(RuleFileError) as warm:
        _load(host, [pack])
    assert str(warm.value) == str(cold.value)
    assert "SCHEMA" in str(warm.value)


def test_duplicate_ids_are_found_among_cached_rules(host, pack, cache, tmp_path, monkeypatch):
    other = tmp_path / "autre"
    first = sorted(pack.rglob("*.yml"))[0]
    other.mkdir()
    shutil.copy(first, other / first.name)
    _load(host, [pack])
    _load(host, [other])  # both cached, separately valid
    with pytest.raises(RuleFileError) as cold:
        _uncached(host, [pack, other], monkeypatch)
    with pytest.raises(RuleFileError) as warm:
        _load(host, [pack, other])
    assert str(warm.value) == str(cold.value)
    assert "DOUBLON" in str(warm.value)


def test_a_plugin_less_is_another_cache(host, pack, cache, monkeypatch):
    """A rule valid with every plugin is refused once a format it requires is gone."""
    _load(host, [pack])
    smaller = get_plugin_host(disabled=["edt"], load_entrypoints=False)
    with pytest.raises(RuleFileError) as cold:
        _uncached(smaller, [pack], monkeypatch)
    with pytest.raises(RuleFileError) as warm:
        _load(smaller, [pack])
    assert str(warm.value) == str(cold.value)
    assert len(list(cache.glob("regles-*.pickle"))) == 1  # nothing cached for the failing load


def test_cache_keeps_other_folders_and_forgets_removed_ones(host, pack, cache, parses, tmp_path):
    import pickle
    other = tmp_path / "autre"
    other.mkdir()
    first = sorted(pack.rglob("*.yml"))[0]
    shutil.copy(first, other / first.name)
    _load(host, [pack])
    _load(host, [other])
    del parses[:]
    _load(host, [pack])
    assert parses == []  # still cached after the other folder's save
    shutil.rmtree(other)
    edited = sorted(pack.rglob("*.yml"))[1]
    edited.write_text(edited.read_text("utf-8") + "\n", "utf-8")
    _load(host, [pack])  # a miss: the cache is written again
    (path,) = cache.glob("regles-*.pickle")
    kept = pickle.loads(path.read_bytes())["entries"]
    assert sorted(kept) == sorted(str(f) for f in pack.rglob("*.yml"))


def test_corrupt_cache_is_ignored_and_rewritten(host, pack, cache, parses, monkeypatch):
    expected = _load(host, [pack])
    (path,) = cache.glob("regles-*.pickle")
    for garbage in (b"", b"not a pickle", path.read_bytes()[: len(path.read_bytes()) // 2]):
        path.write_bytes(garbage)
        del parses[:]
        assert _load(host, [pack]) == expected
        assert len(parses) == len(expected)
    del parses[:]
    assert _load(host, [pack]) == expected
    assert parses == []  # the cache was written again


def test_cache_writable_by_others_is_not_read(host, pack, cache, parses):
    expected = _load(host, [pack])
    (path,) = cache.glob("regles-*.pickle")
    path.chmod(0o666)
    del parses[:]
    assert _load(host, [pack]) == expected
    assert len(parses) == len(expected)


def test_unwritable_or_disabled_cache_changes_nothing(host, pack, cache, tmp_path, parses, monkeypatch):
    blocker = tmp_path / "fichier"
    blocker.write_text("pas un dossier")
    monkeypatch.setenv(rulecache.ENV_DIR, str(blocker / "cache"))
    expected = _load(host, [pack])
    assert _load(host, [pack]) == expected
    assert len(parses) == 2 * len(expected)
    monkeypatch.setenv(rulecache.ENV_DIR, str(tmp_path / "cache"))
    monkeypatch.setenv(rulecache.ENV_DISABLE, "1")
    assert _load(host, [pack]) == expected
    assert not (tmp_path / "cache").exists()


def test_fingerprint_follows_code_limits_and_plugins(host, monkeypatch):
    reg = host.registries
    env = make_environment(reg)
    base = rules._fingerprint(reg, env)
    assert rules._fingerprint(reg, make_environment(reg)) == base
    with monkeypatch.context() as m:
        m.setattr(rulecache, "_code_stamps", lambda: [["engine/rules.py", 1, 2]])
        assert rules._fingerprint(reg, env) != base
    with monkeypatch.context() as m:
        m.setattr(rules, "MAX_RULE_CHARS", 1000)
        assert rules._fingerprint(reg, env) != base
    kind = reg.checks.values()[0]
    with monkeypatch.context() as m:
        m.setattr(kind, "options_schema", dict(kind.options_schema, minLength=3))
        assert rules._fingerprint(reg, env) != base
    with monkeypatch.context() as m:
        m.setitem(env.filters, "nouveau_filtre", len)
        assert rules._fingerprint(reg, env) != base
    assert rules._fingerprint(reg, env) == base


def test_cache_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv(rulecache.ENV_DIR, raising=False)
    monkeypatch.delenv(rulecache.ENV_DISABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert rulecache.cache_dir() == tmp_path / "scolint"
    monkeypatch.setenv("XDG_CACHE_HOME", "relatif")  # ignored, as the XDG specification says
    monkeypatch.setenv("HOME", str(tmp_path / "maison"))
    assert rulecache.cache_dir() == tmp_path / "maison" / ".cache" / "scolint"


_STARTUP = """
import sys
from scolint.engine.cli import build_parser
from scolint.engine.manager import get_plugin_host
host = get_plugin_host()
args = build_parser(host).parse_args(["check", "x", "--select", "EDT-PRN-001,EDT-PRN-002,EDT-STS-002"])
args.host = host
from scolint.plugins.commands.check import auditor_from_args
auditor = auditor_from_args(args)
assert [r.id for r in auditor.rules] == ["EDT-PRN-001", "EDT-PRN-002", "EDT-STS-002"]
print("\\n".join(sorted(sys.modules)))
"""

#: Modules the start-up of ``check`` must not import: other commands' implementations,
#: and with a warm rule cache the rule validator.
NOT_FOR_CHECK = ("smtplib", "ssl", "email.message", "concurrent.futures", "multiprocessing",
                 "scolint.plugins.gen.build", "scolint.plugins.gen.generate", "scolint.engine.rulelint",
                 "scolint.engine.testing", "scolint.engine.explain", "scolint.plugins.commands.doc",
                 "importlib.metadata", "jsonschema")


def test_check_startup_imports_only_what_check_needs(tmp_path):
    env = dict(os.environ, **{rulecache.ENV_DIR: str(tmp_path / "cache")})
    env.pop(rulecache.ENV_DISABLE, None)
    env.pop("SCOLINT_DISABLE_PLUGIN_AUTOLOAD", None)
    run = [sys.executable, "-c", _STARTUP]
    cold = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert "jsonschema" in cold.stdout.split()  # a cold cache validates the rules
    warm = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    modules = set(warm.stdout.split())
    assert "scolint.plugins.gen.commands" in modules and "scolint.plugins.commands.academy" in modules
    unexpected = [m for m in NOT_FOR_CHECK if m in modules]
    if may_declare_entry_points("scolint"):  # a third-party pack installed: the real scan runs
        unexpected = [m for m in unexpected if m != "importlib.metadata"]
    assert unexpected == []


def test_version_loads_no_plugin(capsys):
    from importlib.metadata import version

    from scolint.engine.cli import build_parser
    assert main(["--version"]) == 0
    fast = capsys.readouterr()
    assert fast.out == f"scolint {version('scolint')}\n" and fast.err == ""
    with pytest.raises(SystemExit) as exit_:
        build_parser(get_plugin_host(load_entrypoints=False)).parse_args(["--vers"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == fast.out  # the option itself says the same
    out = subprocess.run([sys.executable, "-c", "import sys; from scolint.engine.cli import main; main(['--version']);"
                          "print(sorted(m for m in sys.modules if m.startswith('scolint.plugins')))"],
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"


def test_generator_constants_match_the_generator():
    from scolint.plugins.gen import build, commands, generate
    assert commands.MAX_STUDENTS == build.MAX_STUDENTS
    assert commands.TRUTH_FILE == generate.TRUTH_FILE


def _dist(folder: Path, name: str, entry_points: str) -> None:
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_entry_point_precheck_never_misses_a_plugin(tmp_path, monkeypatch):
    from importlib.metadata import entry_points
    for group in ("console_scripts", "pytest11", "scolint", "scolint_absent"):
        assert may_declare_entry_points(group) or not list(entry_points(group=group))
    site = tmp_path / "site"
    _dist(site, "paquet_vide", "[scolint]\n# rien\n\n[console_scripts]\noutil = paquet:main\n")
    monkeypatch.syspath_prepend(str(site))
    assert not list(entry_points(group="scolint_test"))
    assert not may_declare_entry_points("scolint_test")
    _dist(site, "paquet_regles", "[scolint_test]\nmes_regles = paquet_regles.plugin\n")
    assert list(entry_points(group="scolint_test"))
    assert may_declare_entry_points("scolint_test")
    archive = tmp_path / "paquets.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # a zip on sys.path: the full scan decides
    monkeypatch.syspath_prepend(str(archive))
    assert may_declare_entry_points("scolint_absent")


def test_an_audit_without_csv_file_does_not_import_yaml(tmp_path):
    """PyYAML is for rule, project and CSV profile files: the ENT link's name folding
    (``csvread.fold``) must not pull it in for an XML-only audit."""
    from scolint.plugins.gen.generate import generate

    generate(tmp_path / "etab", 60, 3)
    edt = next((tmp_path / "etab").glob("ExportEmploiDuTemps_*_enclair.xml"))
    env = dict(os.environ, **{rulecache.ENV_DIR: str(tmp_path / "cache")})
    env.pop(rulecache.ENV_DISABLE, None)
    code = ("import sys\nfrom scolint.engine.audit import Auditor\n"
            f"r = Auditor().audit([{str(edt)!r}])\n"
            "assert r.exports and r.exports[0].format_id == 'edt-export'\n"
            "print('yaml' in sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=True)
    assert warm.stdout.split() == ["False"]
