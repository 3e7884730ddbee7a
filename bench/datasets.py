"""Data sets of the benchmark, written by the project's generator (``plugins/gen``).

- the **large establishment**: 2,500 students. The generator builds a collège (6e-3e)
  whose natural ratios give ~3,900 guardians and ~130 teachers for that size; a large
  lycée has more of both, so :func:`enlarge` reshapes the generated model before the
  defects and the writers run: teachers with many services are split in two (services
  and their courses move together, so the timetable stays conflict-free) until there are
  200 teachers, and level-3 contacts (« personnes à contacter ») are added until there
  are ~5,000 guardians. Everything else is the generator's own code, called through
  :func:`scolint.plugins.gen.generate.generate`, so every writer family present (SIECLE,
  STS, EDT, PRONOTE, ENT, AAF) writes its files;
- ten such establishments (other seeds) for the growth measure, and a folder holding only
  the first of them (hard links), so that one command audits 10 establishments vs 1;
- the **academy**: 300 establishments of mixed sizes, one folder each.

Data sets are cached under ``bench/out`` with a stamp (generator sources hash): they are
generated again only when the generator changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import shutil
from multiprocessing import Pool
from pathlib import Path
from typing import Any, Iterator

#: The large establishment: students, guardians and teachers aimed at.
LYCEE_STUDENTS = 2500
LYCEE_GUARDIANS = 5000
LYCEE_TEACHERS = 200
LYCEE_SEED = 2025
GROWTH_COUNT = 10
ACADEMY_COUNT = 300
ACADEMY_SEED = 16


def generator_families() -> list[str]:
    """The writer families of the generator present in this checkout."""
    from scolint.plugins.gen.generate import WRITERS, writer_modules
    present = {m.__name__ for m in writer_modules(WRITERS)}
    return [name.rsplit(".", 1)[-1] for name in WRITERS if name in present]


def generator_stamp() -> str:
    """Hash of the generator's sources: a cached data set is stale when it changes."""
    import scolint.plugins.gen as gen
    digest = hashlib.sha256()
    for path in sorted(Path(gen.__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# -- reshaping the generated collège into a large lycée --------------------------------
def enlarge(est: Any, guardians: int = LYCEE_GUARDIANS, teachers: int = LYCEE_TEACHERS) -> Any:
    """Split teachers and add contacts until ``teachers`` / ``guardians`` are reached."""
    from scolint.plugins.gen import names
    from scolint.plugins.gen.model import Accounts, Address, Guardian, Link

    rng = random.Random(f"{est.seed}:bench-lycee")
    people = [*est.students, *est.guardians, *est.teachers]
    keys = {names.name_key(p.last_name, p.first_name) for p in people}
    taken = {f: {getattr(p.accounts, f) for p in people} for f in ("idpn", "ent_login", "ent_uid", "jointure")}

    def fresh(field: str, draw: Any) -> str:
        value = draw()
        while value in taken[field]:
            value = draw()
        taken[field].add(value)
        return value

    def accounts(first: str, last: str) -> Accounts:
        chars = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
        base = names.login_base(first, last)
        login, n = base, 0
        while login in taken["ent_login"]:
            n += 1
            login = f"{base}{n}"
        taken["ent_login"].add(login)
        return Accounts(fresh("idpn", lambda: "".join(rng.choice(chars) for _ in range(16))), login,
                        fresh("ent_uid", lambda: str(rng.randint(1000000, 9999999))),
                        "".join(rng.choice(chars.lower()) for _ in range(8)),
                        fresh("jointure", lambda: str(rng.randint(1000000, 9999999))))

    def new_name(sex: int) -> tuple[str, str]:
        while True:
            last, first = names.last_name(rng), names.first_name(rng, sex)
            if names.name_key(last, first) not in keys:
                keys.add(names.name_key(last, first))
                return last, first

    _split_teachers(est, rng, teachers, new_name, accounts)
    pid = max(int(g.personne_id) for g in est.guardians) + 1
    aid = max(int(a.id) for a in est.addresses) + 1
    contacts = {lk.eleve_id for lk in est.links if lk.level == 3}
    for student in [s for s in est.students if not s.left and s.eleve_id not in contacts]:
        if len(est.guardians) >= guardians:
            break
        city, cp, insee, dept = rng.choice(names.COMMUNES)
        est.addresses.append(Address(str(aid), names.street(rng), "", cp, city.upper(), insee, dept))
        civility = rng.choice((1, 2))
        last, first = new_name(civility)
        g = Guardian(str(pid), civility, last, first, f"+335{rng.randint(10000000, 99999999)}",
                     f"+336{rng.randint(10000000, 99999999)}",
                     f"{names.login_base(first, last)}{rng.randint(1, 99)}@exemple.fr", str(aid), "56",
                     accounts=accounts(first, last))
        est.guardians.append(g)
        est.links.append(Link(student.eleve_id, g.personne_id, 3, rng.choice(("38", "39", "90")),
                              lives_with=False))
        pid += 1
        aid += 1
    return est


def _split_teachers(est: Any, rng: random.Random, target: int, new_name: Any, accounts: Any) -> None:
    """Give half the services (and their courses) of the busiest teachers to new ones."""
    from scolint.plugins.gen.model import Teacher

    def ens() -> list[Any]:
        return [t for t in est.teachers if t.function == "ENS"]

    ids = {t.sts_id for t in est.teachers}
    next_id = max(int(i) for i in ids) + 7
    while len(ens()) < target:
        by_teacher: dict[str, list[Any]] = {}
        for s in est.services:
            by_teacher.setdefault(s.teacher, []).append(s)
        old_id = max(by_teacher, key=lambda t: (len(by_teacher[t]), t))
        services = sorted(by_teacher[old_id], key=lambda s: s.structure)
        if len(services) < 2:
            return
        moved = services[len(services) // 2:]
        old = next(t for t in est.teachers if t.sts_id == old_id)
        sex = rng.choice((1, 2))
        last, first = new_name(sex)
        new = Teacher(str(next_id), old.type, sex, sex, last, last, first, old.birth_date, old.grade, "ENS",
                      old.discipline, old.discipline_label, old.hours, list(old.subjects),
                      accounts(first, last))
        next_id += 7
        est.teachers.append(new)
        moved_keys = {(s.structure, s.subject) for s in moved}
        for s in moved:
            s.teacher = new.sts_id
        for course in est.courses:
            if old_id in course.teachers and any((st, course.subject) in moved_keys
                                                 for st in [*course.divisions, *course.groups]):
                course.teachers = [new.sts_id if t == old_id else t for t in course.teachers]
        for d in est.divisions:
            if d.head_teacher == old_id and not any(
                    s.teacher == old_id and s.structure == d.code for s in est.services):
                d.head_teacher = new.sts_id


@contextlib.contextmanager
def _lycee_shape() -> Iterator[None]:
    """Make the generator's ``generate`` build the enlarged establishment."""
    from scolint.plugins.gen import generate as gen
    original = gen.build_establishment

    def build(students: int, seed: int, *args: Any, **kwargs: Any) -> Any:
        return enlarge(original(students, seed, *args, **kwargs))

    gen.build_establishment = build  # type: ignore[assignment]
    try:
        yield
    finally:
        gen.build_establishment = original  # type: ignore[assignment]


def generate_lycee(out: Path, seed: int = LYCEE_SEED, students: int = LYCEE_STUDENTS) -> dict[str, Any]:
    """Write one large establishment into ``out``; return its counts."""
    from scolint.plugins.gen.generate import generate
    if out.exists():
        shutil.rmtree(out)
    with _lycee_shape():
        est, truth = generate(out, students, seed)
    return {"students": len(est.students), "guardians": len(est.guardians),
            "teachers": sum(1 for t in est.teachers if t.function == "ENS"),
            "staff": len(est.teachers), "courses": len(est.courses), "services": len(est.services),
            "files": len(truth.files), "bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file())}


def academy_sizes(count: int = ACADEMY_COUNT, seed: int = ACADEMY_SEED) -> list[int]:
    """Mixed sizes: small rural collèges to large city establishments (median ~500)."""
    rng = random.Random(seed)
    sizes = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.35:
            sizes.append(rng.randint(150, 400))
        elif roll < 0.80:
            sizes.append(rng.randint(400, 750))
        elif roll < 0.95:
            sizes.append(rng.randint(750, 1200))
        else:
            sizes.append(rng.randint(1200, 2000))
    return sizes


def _academy_one(args: tuple[Path, int, int]) -> int:
    from scolint.plugins.gen.generate import generate
    out, size, seed = args
    if out.exists():
        shutil.rmtree(out)
    est, _truth = generate(out, size, seed)
    return len(est.students)


def generate_academy(out: Path, count: int = ACADEMY_COUNT, jobs: int = 2) -> dict[str, Any]:
    """Write ``count`` establishments into ``out/etab-NNN``."""
    sizes = academy_sizes(count)
    tasks = [(out / f"etab-{i + 1:03d}", size, 1000 + i) for i, size in enumerate(sizes)]
    out.mkdir(parents=True, exist_ok=True)
    with Pool(jobs) as pool:
        students = sum(pool.imap_unordered(_academy_one, tasks, chunksize=4))
    return {"establishments": count, "students": students, "min": min(sizes), "max": max(sizes),
            "median": sorted(sizes)[len(sizes) // 2],
            "bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file())}


#: Use cached data sets even when the generator changed since (``run.py --keep-data``).
KEEP = False


def cached(root: Path, name: str, build: Any, force: bool = False) -> tuple[Path, dict[str, Any]]:
    """``root/name`` built by ``build(path)`` unless a stamp says it is current."""
    path = root / name
    stamp_file = root / f"{name}.json"
    stamp = generator_stamp()
    if not force and stamp_file.is_file() and path.is_dir():
        info = json.loads(stamp_file.read_text(encoding="utf-8"))
        if info.get("stamp") == stamp or KEEP:
            if info.get("stamp") != stamp:
                print(f"{name} : données d'une version antérieure du générateur, gardées (--keep-data)")
            return path, info["counts"]
    counts = build(path)
    root.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(json.dumps({"stamp": stamp, "counts": counts}), encoding="utf-8")
    return path, counts


def growth_set(root: Path, force: bool = False) -> tuple[Path, dict[str, Any]]:
    """Ten large establishments (seeds LYCEE_SEED+1..+10) side by side, one folder each."""
    def build(path: Path) -> dict[str, Any]:
        if path.exists():
            shutil.rmtree(path)
        tasks = [(path / f"etab-{i:02d}", LYCEE_SEED + i) for i in range(1, GROWTH_COUNT + 1)]
        with Pool(2) as pool:
            counts = pool.starmap(generate_lycee, tasks)
        return {k: sum(c[k] for c in counts) for k in counts[0]}
    return cached(root, "croissance", build, force)


def growth_one(root: Path, growth: Path) -> Path:
    """``root/croissance-1``: the first establishment of the growth set alone (hard links)."""
    first = sorted(p for p in growth.iterdir() if p.is_dir())[0]
    target = root / "croissance-1" / first.name
    if target.is_dir() and sorted(p.name for p in target.iterdir()) == sorted(p.name for p in first.iterdir()) \
            and all((target / p.name).stat().st_ino == p.stat().st_ino for p in first.iterdir()):
        return target.parent
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.mkdir(parents=True)
    for path in first.iterdir():
        try:
            (target / path.name).hardlink_to(path)
        except OSError:
            shutil.copy2(path, target / path.name)
    return target.parent
