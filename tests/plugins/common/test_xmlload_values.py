"""check_values (plugins/common/xmlload.py): every impossible date and every too long
value of a parsed export is reported, and nothing else, whatever shortcut the scan of the
file's bytes takes. The expected findings are decided here from the values written into
each random document, not by scolint."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from scolint.engine import xmlsafe
from scolint.engine.model import Graph
from scolint.plugins.common.xmlload import MAX_SCHEMA_ERRORS, MAX_VALUE, check_values

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _date_value(rng: random.Random) -> str:
    day, month = rng.randint(0, 32), rng.randint(0, 13)
    year = rng.choice([0, 1900, 1999, 2000, 2023, 2024, 2100, 9999])
    if rng.random() < 0.5:
        value = f"{day:02d}/{month:02d}/{year:04d}"
        if rng.random() < 0.2:
            value += " 10:30"
    else:
        value = f"{year:04d}-{month:02d}-{day:02d}"
        if rng.random() < 0.2:
            value += "T08:00:00"
    if rng.random() < 0.05:  # other digits: read as digits by the check too
        value = value.translate(ARABIC)
    if rng.random() < 0.1:
        value = f" {value} "
    return value


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return _date_value(rng)
    if roll < 0.65:
        return "x" * rng.choice([MAX_VALUE, MAX_VALUE + 1, MAX_VALUE + 50])
    if roll < 0.68:
        return "é" * rng.choice([MAX_VALUE, MAX_VALUE + 1])
    return rng.choice(["DUPONT", "Saint-Étienne", "06-12-34-56-78", "1/2/2024", "12/2024", "2024-12", "a<b>c"])


_FR = re.compile(r"(\d\d)/(\d\d)/(\d{4})(?: \d\d:\d\d(?::\d\d)?)?")
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:T[\d:.+\-Z]*)?")


def _is_bad(value: str) -> bool:
    """What check_values must report: a value of more than MAX_VALUE characters, or a
    date (dd/mm/yyyy or yyyy-mm-dd, the whole value) that does not exist."""
    value = value.strip()
    if len(value) > MAX_VALUE:
        return True
    m = _FR.fullmatch(value)
    if m:
        day, month, year = m.groups()
    else:
        m = _ISO.fullmatch(value)
        if not m:
            return False
        year, month, day = m.groups()
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return True
    return False


def _document(rng: random.Random, encoding: str) -> tuple[bytes, int]:
    """An export-like document and the number of bad values written in it."""
    parts, bad = [], 0
    for i in range(rng.randint(1, 8)):
        text, attr = _value(rng), _value(rng)
        bad += _is_bad(text) + _is_bad(attr)
        esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        att = attr.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        if rng.random() < 0.05:  # a character reference hides a value from the bytes
            esc = esc.replace("0", "&#48;", 1)
        parts.append(f'<E{i} A="{att}">{esc}</E{i}>{rng.choice(["", chr(10), "31/02/2024"])}')
    body = f'<?xml version="1.0" encoding="{encoding}"?>\n<R>{"".join(parts)}</R>'
    return body.encode("utf-8" if encoding == "UTF-8" else "latin-1", errors="strict"), bad


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1"])
def test_every_bad_value_is_reported_and_nothing_else(encoding: str, tmp_path) -> None:
    rng = random.Random(20261207)
    flagged = 0
    for n in range(600):
        try:
            data, bad = _document(rng, encoding)
        except UnicodeEncodeError:  # Arabic digits have no Latin-1 byte: drawn again
            continue
        path = tmp_path / f"d{n}.xml"
        path.write_bytes(data)
        tree = xmlsafe.parse(path)
        graph = Graph()
        found = check_values(tree, graph, path.name, "corriger")
        assert found == min(bad, MAX_SCHEMA_ERRORS), data[:400]
        assert len([p for p in graph.problems if p.code == "ENTREE-SCHEMA"]) == found
        flagged += bool(bad)
    assert flagged > 150  # the draw does spoil many documents


def test_a_real_date_in_every_month_is_not_reported(tmp_path) -> None:
    """The scan's shortcut for dates that surely exist covers the 29th, 30th and 31st too:
    a file holding every day of two years (one leap) yields no finding, and the same file
    with 29 February of a common year yields one."""
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(731)]
    values = "".join(f'<D A="{d.isoformat()}">{d.strftime("%d/%m/%Y")}</D>' for d in days)
    for extra, expected in (("", 0), ('<D A="2023-02-29"/>', 1), ("<D>29/02/2100</D>", 1), ("<D>29/02/2000</D>", 0)):
        path = tmp_path / "dates.xml"
        path.write_bytes(f'<?xml version="1.0" encoding="UTF-8"?><R>{values}{extra}</R>'.encode())
        assert check_values(xmlsafe.parse(path), Graph(), "dates.xml", "corriger") == expected, extra
