"""Guards of the CSV performance work (issue 7): same results as the former per-row code.

- ``map_rows`` maps and checks rows column by column (plugins/common/csvcheck.py); it must give
  exactly what the former per-row mapping checked by jsonschema gave (rows, fields,
  French problems, in order) on generated files, the shipped layouts, user profiles
  (split, multi-column, secret, value tables giving non-strings) and random mutations;
- a valid file is checked without jsonschema and without any per-value Python check;
  jsonschema words only the failing rows;
- the compiled column checks agree with jsonschema on random columns of every shipped
  row schema; the profile pre-check never accepts a profile that jsonschema refuses;
- reading the CSV modules and the shipped profiles does not import jsonschema.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scolint.plugins.common import csvcheck
from scolint.plugins.common import csvprofile
from scolint.plugins.common import csvread
from scolint.plugins.common.csvread import Column, Mapped, Profile, Row, Table, fold
from scolint.plugins.gen.generate import generate

FAMILIES = ("ent-identifiants", "pronote-identifiants", "pronote-responsables")
ODD = ["", " ", "x" * 300, "Zz9", "2010-13-45", "15/07/2014", "2014-07-15", "0000000A", "0310040.A", "oui", "Non",
       "1", "ÉLÈVE", "Eleve", "Parent", "a b", "a;b", "a,b, ,c", "{SHA}abc==", "Mot de passe modifié par l'utilisateur",
       "WEPYH43KJ2FZT9AS", "wepyh43", "12345678901", "1713016", "17a3", "\t", "é" * 201, "Relative"]


def reference_map_rows(profile: Profile, table: Table, with_secrets: bool = False) -> Mapped:
    """The former ``map_rows``: each row mapped to a dict, then checked by jsonschema."""
    header = csvread._has_header(profile, table)
    where: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    problems: list[tuple[int | None, str | None, str]] = []
    if header:
        _line0, names = table.rows[0]
        index = csvread._header_index(names)
        for fname, col in profile.columns.items():
            found = [index[n] for n in col.names if n in index]
            if not found and not col.names:
                found = [p - 1 for p in col.positions]
            if found:
                where[fname] = found if col.many else found[:1]
                shown[fname] = names[found[0]] if found[0] < len(names) else f"colonne {found[0] + 1}"
        data_rows = table.rows[1:]
    else:
        for fname, col in profile.columns.items():
            if col.positions:
                where[fname] = [p - 1 for p in col.positions] if col.many else [col.positions[0] - 1]
                shown[fname] = f"colonne {col.positions[0]}"
        data_rows = table.rows
    schema = csvread.family_schema(profile.family)
    for required in schema.get("required", []):
        if required not in where:
            problems.append((table.rows[0][0], None, f"colonne « {required} » introuvable avec le profil "
                             f"« {profile.id} » : vérifiez l'en-tête ou choisissez un autre profil (--profile)"))
    if any(p[1] is None for p in problems):
        return Mapped([], problems, header, shown)
    validator = jsonschema.Draft7Validator(schema)
    out: list[Row] = []
    for line, cells in data_rows:
        if len(cells) < profile.min_columns:
            problems.append((line, None, f"{len(cells)} champ(s) au lieu d'au moins {profile.min_columns} : "
                             "ligne tronquée ou séparateur changé"))
            continue
        values: dict[str, Any] = {}
        for fname, idxs in where.items():
            col = profile.columns[fname]
            if col.secret and not with_secrets:
                raw = cells[idxs[0]] if idxs[0] < len(cells) else ""
                changed = (any(raw.startswith(p) for p in profile.changed_prefixes)
                           or any(fold(c) in fold(raw) for c in profile.changed_contains))
                values[fname + "_present"] = bool(raw)
                values[fname + "_changed"] = bool(raw) and changed
                continue
            picked = [cells[i] for i in idxs if i < len(cells)]
            if col.many or col.split:
                items = [p for cell in picked for p in (cell.split(col.split) if col.split else [cell])]
                values[fname] = [profile.canonical(fname, v.strip()) for v in items if v.strip()]
            else:
                values[fname] = profile.canonical(fname, picked[0]) if picked else ""
        checked = {k: v for k, v in values.items() if not k.endswith(("_present", "_changed"))}
        errors = sorted(validator.iter_errors(checked), key=lambda e: list(e.absolute_path))
        bad = False
        for err in errors:
            fname = str(err.absolute_path[0]) if err.absolute_path else None
            if err.validator == "required":
                fname = str(err.message.split("'")[1]) if "'" in err.message else fname
            secret = fname is not None and profile.columns.get(fname, Column()).secret
            problems.append((line, shown.get(fname or "", fname), csvcheck.french(err, secret)))
            bad = bad or fname in schema.get("required", [])
        if not bad:
            out.append(Row(line, values))
    return Mapped(out, problems, header, shown)


def _same(profile: Profile, table: Table) -> None:
    for secrets in (False, True):
        new, old = csvread.map_rows(profile, table, secrets), reference_map_rows(profile, table, secrets)
        assert [(r.line, r.fields) for r in new.rows] == [(r.line, r.fields) for r in old.rows]
        assert [list(r.fields) for r in new.rows] == [list(r.fields) for r in old.rows]  # key order too
        assert new.problems == old.problems
        assert (new.has_header, new.columns) == (old.has_header, old.columns)


def _mutations(table: Table, rng: random.Random, count: int) -> list[Table]:
    """Tables with a few cells replaced by odd values, rows cut short or lengthened."""
    out = []
    for _ in range(count):
        rows = [(line, list(cells)) for line, cells in table.rows]
        for _ in range(rng.randint(1, 6)):
            k = rng.randrange(len(rows))
            line, cells = rows[k]
            roll = rng.random()
            if roll < 0.75 and cells:
                cells[rng.randrange(len(cells))] = rng.choice(ODD)
            elif roll < 0.88:
                rows[k] = (line, cells[:rng.randrange(len(cells) + 1)])
            else:
                rows[k] = (line, cells + [rng.choice(ODD) for _ in range(rng.randint(1, 3))])
        out.append(Table(rows, table.delimiter, table.encoding))
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Table]:
    folder = tmp_path_factory.mktemp("csvgen")
    generate(folder, 150, 5)
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        table = csvread.read_table(path)
        prof = csvread.match_profile(table, csvread.builtin_profiles())
        assert prof is not None
        tables[prof.family] = table
    assert set(tables) == set(FAMILIES)
    return tables


def test_generated_files_and_their_mutations_map_as_before(generated: dict[str, Table]) -> None:
    rng = random.Random(7)
    problems = 0
    for family, table in generated.items():
        prof = csvread.match_profile(table, csvread.builtin_profiles(), family)
        assert prof is not None
        _same(prof, table)
        for mutated in _mutations(table, rng, 25):
            _same(prof, mutated)
            problems += len(csvread.map_rows(prof, mutated).problems)
    assert problems > 40  # the mutations do reach the jsonschema wording


SHIPPED_SAMPLES = {
    "ent-kosmos-gepi": "0310040A;1001;3 A;Eleve;Héloïse;CŒURDEROY;heloise.c;k7Wz9pQa;J1001;2001;2002;;\n"
                       "0310040A;2001;;Parent;Jérôme;CŒURDEROY;jerome.c;{SHA}Yw8x==;J2001;;;;;Héloïse;CŒURDEROY\n"
                       "0310040A;2002;;Tuteur;Anne;MARTIN;anne.m;Mot de passe déjà modifié par l'utilisateur;J2;;;;\n",
    "ent-entcore-gepi": "RNE;UID;Classe;Profil;Prénom;Nom;Login;Mot de passe;Clé de jointure;UID Responsable 1;"
                        "UID Responsable 2;UID tuteur 1;UID tuteur 2\n"
                        ";a1;4B;Eleve;Léa;DUPONT;lea.dupont;Zr5tTq2m;J1;a2;;;\n;a2;;Relative;Marc;DUPONT;marc;;J2;;;;\n",
    "ent-opentent-classique": "Id;Id Siecle;Type;Nom;Prénom;Login;Alias de login;Code d'activation;Fonction(s);"
                              "Structure(s);Classe(s);Enfant(s);Parent(s)\n"
                              "T-1;1001;Student;NOÉ;Zoé;zoe.noe;;hV8nMx3c;;COLLEGE, LYCEE;5C;;A B, C D\n"
                              "T-2;;Relative;NOÉ;Marc;marc.noe;;;;COLLEGE;;Zoé NOÉ,, Léo NOÉ;\n",
    "pronote-identifiants-suppose": "Identifiant PRONOTE;Profil;Nom;Prénom;Date de naissance;Classe;Identifiant SIECLE\n"
                                    "WEPYH43KJ2FZT9AS;Elève;MARTIN;Léa;15/07/2014;6A;1713016\n"
                                    "ZK3NW8PQ5TRY2MVB;Responsable;MARTIN;Éric;;;\n",
    "pronote-responsables-suppose": "Nom;Prénom;Nom de l'élève;Prénom de l'élève;Classe;Responsable;Espace Parents;"
                                    "Identifiant PRONOTE\nBESSON;Luc;BESSON;Léa;5A;1;Oui;ET7U4PFD29ETB8FF\n"
                                    "BESSON;Ana;BESSON;Léa;5A;2;Non;\n",
}


@pytest.mark.parametrize("layout", sorted(SHIPPED_SAMPLES))
def test_shipped_layouts_and_their_mutations_map_as_before(layout: str) -> None:
    prof = next(p for p in csvread.builtin_profiles() if p.id == layout)
    table = csvread.read_table("x.csv", data=SHIPPED_SAMPLES[layout].encode("utf-8"))
    assert csvread.match_profile(table, [prof]) is prof
    _same(prof, table)
    for mutated in _mutations(table, random.Random(layout), 60):
        _same(prof, mutated)


USER_PROFILE = """
id: essai
famille: ent-identifiants
libelle: essai
entete: non
colonnes_min: 4
colonnes:
  login: {position: 1}
  profile: {position: 2}
  last_name: {position: 3}
  code: {position: 4, secret: true}
  parent_uids: {position: 5, liste: true, separateur: "|"}
  children: {positions: [6, 7]}
  functions: {position: 8, liste: true, separateur: ","}
  birth_date: {position: 9}
  division: {positions: [10, 11]}
valeurs:
  profile: {1: [Eleve], eleve: [ELV], responsable: [RESP]}
  functions: {true: [ENS], DIR: [direction]}
code_modifie: {commence_par: ["{SHA}"], contient: ["déjà changé"]}
"""


def test_user_profiles_with_lists_secrets_and_odd_values_map_as_before() -> None:
    """Split and multi-column fields, cells past ``colonnes_min``, value tables giving
    non-strings (YAML keys 1, true): jsonschema then words a type error, as before."""
    import yaml
    prof = csvprofile.parse_profile(yaml.safe_load(USER_PROFILE), "essai.yaml")
    rng = random.Random(11)
    rows = []
    for n in range(1, 60):
        cells = [f"log{n}", rng.choice(["ELV", "RESP", "Eleve", "X", ""]), rng.choice(["DUPONT", "", "é" * 210]),
                 rng.choice(["", "abc", "{SHA}x", "code déjà changé"]), rng.choice(["", "a|b", "a| |c", " "]),
                 rng.choice(["", "x"]), rng.choice(["", "y"]), rng.choice(["", "ENS", "ENS,direction", "DIR, ,x"]),
                 rng.choice(["", "15/07/2014", "2014-07-15", "bad"]), "4A", "4B"]
        rows.append((n, cells[:rng.choice([3, 4, 6, 8, 9, 11, 11, 11])]))
    table = Table(rows, ";", "UTF-8")
    _same(prof, table)
    problems = csvread.map_rows(prof, table).problems
    assert any("non conforme au schéma (type)" in msg for _l, _c, msg in problems)
    assert any("ligne tronquée" in msg for _l, _c, msg in problems)


def test_a_valid_file_is_checked_without_jsonschema_nor_per_value_checks(
        generated: dict[str, Table], monkeypatch: pytest.MonkeyPatch) -> None:
    """Complexity guard: on valid rows only whole-column tests run; jsonschema words each
    failing row once."""
    calls = {"validator": 0, "valid": 0}
    original_validator, original_failing = csvcheck.validator, csvcheck.ColumnCheck.failing

    def counting_validator(schema: dict[str, Any]) -> Any:
        calls["validator"] += 1
        return original_validator(schema)

    def counting_failing(self: csvcheck.ColumnCheck, column: list[Any]) -> list[int]:
        valid = self.valid

        def counted(v: Any) -> bool:
            calls["valid"] += 1
            return valid(v)
        self.valid = counted
        try:
            return original_failing(self, column)
        finally:
            self.valid = valid

    monkeypatch.setattr(csvcheck, "validator", counting_validator)
    monkeypatch.setattr(csvcheck.ColumnCheck, "failing", counting_failing)
    rows = 0
    for family, table in generated.items():
        prof = csvread.match_profile(table, csvread.builtin_profiles(), family)
        assert prof is not None
        mapped = csvread.map_rows(prof, table)
        assert not mapped.problems and mapped.rows
        rows += len(mapped.rows)
    assert rows > 300 and calls == {"validator": 0, "valid": 0}
    table = generated["pronote-identifiants"]
    prof = csvread.match_profile(table, csvread.builtin_profiles(), "pronote-identifiants")
    assert prof is not None
    at = table.rows[0][1].index("Identifiant PRONOTE")
    spoiled = Table([table.rows[0]] + [(line, cells[:at] + ["bad id"] + cells[at + 1:]) if i % 10 == 0
                                       else (line, cells) for i, (line, cells) in enumerate(table.rows[1:])],
                    ";", "UTF-8")
    mapped = csvread.map_rows(prof, spoiled)
    assert calls["validator"] == 1  # one jsonschema validator for the file
    assert calls["valid"] == len(table.rows) - 1  # only the failing column is scanned value by value
    assert len(mapped.problems) == (len(table.rows) - 2) // 10 + 1


@pytest.mark.parametrize("family", FAMILIES)
def test_column_checks_agree_with_jsonschema_on_random_columns(family: str) -> None:
    schema = csvread.family_schema(family)
    slow = jsonschema.Draft7Validator(schema)
    rng = random.Random(family)
    props = list(schema["properties"])
    for _ in range(300):
        fields = rng.sample(props, rng.randint(1, len(props)))
        kinds = {f: rng.choice([csvcheck.TEXT, csvcheck.TEXT, csvcheck.LIST, csvcheck.ANY]) for f in fields}
        checks = csvcheck.compile_rows(schema, tuple(kinds.items()))
        assert checks is not None
        count = rng.randint(0, 6)
        columns: dict[str, list[Any]] = {}
        for f, kind in kinds.items():
            if kind == csvcheck.TEXT:
                columns[f] = [rng.choice(ODD) for _ in range(count)]
            elif kind == csvcheck.LIST:
                columns[f] = [[rng.choice(ODD) for _ in range(rng.randint(0, 2))] for _ in range(count)]
            else:
                columns[f] = [rng.choice(ODD + [None, 1, True, ["a"], [1]]) for _ in range(count)]
        failing = checks.failing_rows(columns, count)
        for k in range(count):
            row = {f: columns[f][k] for f in fields}
            assert (k not in failing) == slow.is_valid(row), row


def test_profile_precheck_never_accepts_what_jsonschema_refuses() -> None:
    import yaml
    rng = random.Random(5)
    root = Path(csvprofile.__file__).parent / "profiles"
    datas = [yaml.safe_load(p.read_text("utf-8")) for p in sorted(root.glob("*.yaml"))]
    odd: list[Any] = [None, 0, 1, True, 1.0, 2.5, "", "oui", "connu", "x", [], ["a"], {}, {"a": 1}]
    accepted = 0
    validator = jsonschema.Draft7Validator(csvprofile._PROFILE_SCHEMA)
    for _ in range(2000):
        data = dict(rng.choice(datas))
        for _ in range(rng.randint(0, 2)):
            key = rng.choice(list(csvprofile._PROFILE_SCHEMA["properties"]) + ["autre"])
            if rng.random() < 0.2:
                data.pop(key, None)
            elif key == "colonnes" and rng.random() < 0.5:
                base = data.get(key)
                data[key] = dict(base if isinstance(base, dict) else {}, extra=rng.choice(odd))
            else:
                data[key] = rng.choice(odd)
        if csvprofile._plainly_valid(data):
            accepted += 1
            validator.validate(data)
    assert accepted > 200


def test_reading_csv_files_does_not_import_jsonschema(generated: dict[str, Table]) -> None:
    code = ("import sys\nfrom scolint.plugins import csvread\nprofiles = csvread.builtin_profiles()\n"
            "t = csvread.Table([(1, ['WEPYH43KJ2FZT9AS', 'Elève', 'MARTIN', 'Léa'])], ';', 'UTF-8')\n"
            "p = [p for p in profiles if p.family == 'pronote-identifiants'][0]\n"
            "t.rows.insert(0, (0, ['Identifiant PRONOTE', 'Profil', 'Nom', 'Prénom']))\n"
            "assert csvread.map_rows(p, t).rows\n"
            "print('jsonschema' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the ENT / PRONOTE link step -------------------------------------------------------


def _snapshot(graph: Any) -> list[Any]:
    """Every linked field of the PRONOTE and ENT entities, entities shown by their key."""
    from scolint.engine.model import Entity

    def show(v: Any) -> Any:
        if isinstance(v, Entity):
            return v.key
        if isinstance(v, list):
            return [show(x) for x in v]
        return v
    return [(e.key, {k: show(v) for k, v in e.data.items()}, list(e.prov))
            for kind in ("pronote_identifier", "pronote_guardian", "ent_account") for e in graph.all(kind)]


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("school")
    generate(folder, 150, 9)
    return folder


def test_pronote_identifiers_are_linked_once_and_a_second_run_changes_nothing(
        school: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ENT link used to merge EDT's IDPN and link every identifier a second time."""
    from scolint.engine.audit import Auditor
    from scolint.plugins.common import people as ent_link
    from scolint.plugins import pronote
    calls = {"from_edt": 0, "people": 0}
    original_from_edt, original_init = pronote._from_edt, ent_link.People.__init__

    def counting_from_edt(graph: Any) -> None:
        calls["from_edt"] += 1
        original_from_edt(graph)

    def counting_init(self: Any, graph: Any) -> None:
        calls["people"] += 1
        original_init(self, graph)

    monkeypatch.setattr(pronote, "_from_edt", counting_from_edt)
    monkeypatch.setattr(ent_link.People, "__init__", counting_init)
    graph, _shown = Auditor(use_default_rules=False).load([school])
    assert graph.all("ent_account") and graph.all("pronote_identifier") and graph.all("edt_student")
    assert calls == {"from_edt": 1, "people": 2}  # PRONOTE (shared with ENT) and AAF
    before = _snapshot(graph)
    pronote._LINKED.clear()  # force the former second run
    ent_link.link_accounts(graph)
    assert calls["from_edt"] == 2
    assert _snapshot(graph) == before
    linked = [e for e in graph.all("ent_account") if e.get("pronote") is not None]
    assert len(linked) > len(graph.all("ent_account")) // 2


def _reference_guardian(people: Any, last: Any, first: Any, child_ids: Any = (), child_names: Any = ()) -> Any:
    """The former ``People.guardian``: every candidate's children folded on each call."""
    from scolint.plugins.common.people import _one, name_key
    named = people.guardian_names.get(name_key(last, first), []) if last else []
    ids = set(child_ids)
    folded_children = {fold(n) for n in child_names}
    out = []
    for g in named:
        kids = g.get("students") or []
        if any(k.id in ids for k in kids) or any(
                fold(f"{k.get('first_name')} {k.get('last_name')}") in folded_children
                or fold(f"{k.get('last_name')} {k.get('first_name')}") in folded_children for k in kids):
            out.append(g)
    return _one(out, "nom+enfant") or (None, [], None)


def test_guardian_lookup_with_cached_children_answers_as_before(school: Path) -> None:
    from scolint.engine.audit import Auditor
    from scolint.plugins.common.people import People
    graph, _shown = Auditor(use_default_rules=False).load([school])
    people = People(graph)
    rng = random.Random(2)
    students = graph.all("student", "siecle")
    queries = 0
    for g in graph.all("guardian", "siecle"):
        kids = g.get("students") or []
        other = rng.choice(students)
        for ids, names in (([k.id for k in kids], []), ([], [f"{k['first_name']} {k['last_name']}" for k in kids]),
                           ([], [f"{k['last_name'].lower()} {k['first_name']}" for k in kids]),
                           ([other.id], [f"{other['first_name']} {other['last_name']}"]), ([], []),
                           ([rng.choice(students).id for _ in range(2)], ["x y"])):
            for last, first in ((g.get("last_name"), g.get("first_name")), (g.get("last_name"), "Autre"), (None, None)):
                assert people.guardian(last, first, ids, names) == _reference_guardian(people, last, first, ids, names)
                queries += 1
    assert queries > 1000


def test_delimiter_sniffed_from_a_prefix_as_from_the_whole_text() -> None:
    """``sniff_delimiter`` splits only the start of a big file into lines: same answer."""
    import csv
    import io

    def reference(text: str) -> str:
        lines = [ln for ln in text.splitlines()[:20] if ln.strip()][:10]
        best, best_score = ";", -1
        for sep in (";", ","):
            counts = []
            try:
                for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep):
                    counts.append(len(row))
            except csv.Error:
                continue
            if not counts or max(counts) < 2:
                continue
            score = sum(1 for c in counts if c == counts[0] and c > 1) * 100 + counts[0]
            if score > best_score:
                best, best_score = sep, score
        return best

    rng = random.Random(4)
    for _ in range(300):
        lines = []
        for _ in range(rng.randint(1, 40)):
            cells = rng.randint(1, 5)
            sep = rng.choice(";,")
            width = rng.choice([1, 5, 3000, 4000, 70000]) if rng.random() < 0.3 else rng.randint(0, 12)
            lines.append(sep.join("x" * width for _ in range(cells)) if rng.random() < 0.9 else "")
        text = rng.choice(["\n", "\r\n", "\r"]).join(lines)
        assert csvread.sniff_delimiter(text) == reference(text)


# -- loading only the kinds the selected rules read (options["kinds"]) ----------------

CSV_KINDS = {"ent_account", "pronote_identifier", "pronote_guardian"}


@pytest.fixture(scope="module")
def timetable_and_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """EDT, PRONOTE and ENT exports only: every format declares its kinds (FormatInfo.kinds)."""
    folder = tmp_path_factory.mktemp("edt_csv")
    generate(folder, 150, 9, writers=("scolint.plugins.gen.edt", "scolint.plugins.gen.pronote",
                                      "scolint.plugins.gen.ent"))
    (folder / "verite-terrain.json").unlink()
    ent = next(folder.glob("ENT-Identifiants-*.csv"))
    data = ent.read_bytes()
    ent.write_bytes(data + data.splitlines(keepends=True)[-1])  # a duplicate login: ENTREE-SCHEMA
    return folder


@pytest.mark.parametrize("rules,skipped", [
    (["EDT-PRN-001", "EDT-PRN-002", "EDT-STS-002"], {"pronote_guardian"}),
    (["ENT-DOUBLON-001", "ENT-SHA-001"], {"pronote_guardian"}),
    (["PRN-ENT-001", "PRN-ENT-004", "ENT-LIEN-001"], {"pronote_guardian"}),
    (["PRN-RESP-001"], set()),
])
def test_selected_rules_give_the_full_audits_findings_without_the_csv_kinds_they_do_not_read(
        timetable_and_csv: Path, rules: list[str], skipped: set[str]) -> None:
    """The CSV loaders skip the kinds nobody reads; the report of the selected rules (and
    every ENTREE-* problem, the duplicate logins of the ENT file included) is unchanged."""
    import json

    from scolint.engine.audit import Auditor, Selection

    def findings(result: Any, only: set[str] | None = None) -> list[str]:
        return sorted(json.dumps(f.to_dict(), sort_keys=True, default=str) for f in result.findings
                      if only is None or f.rule_id in only or f.rule_id.startswith("ENTREE-"))

    full = Auditor().audit([timetable_and_csv])
    auditor = Auditor(selection=Selection(ids=rules))
    selected = auditor.audit([timetable_and_csv])
    assert findings(selected) == findings(full, set(rules))
    assert any("identique à celui de la ligne" in f.message for f in selected.findings)
    assert [vars(e) for e in selected.exports] == [vars(e) for e in full.exports]
    graph, _shown = auditor.load([timetable_and_csv], for_rules=True)
    assert {k for k in CSV_KINDS if graph.all(k)} == CSV_KINDS - skipped


def test_shipped_profiles_read_by_libyaml_give_what_the_python_loader_gives() -> None:
    import yaml
    root = Path(csvprofile.__file__).parent / "profiles"
    files = sorted(root.glob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text("utf-8")
        assert yaml.load(text, Loader=csvprofile.fast_loader()) == yaml.safe_load(text), path.name
    assert [p.id for p in csvread.builtin_profiles()] == [yaml.safe_load(p.read_text("utf-8"))["id"] for p in files]
