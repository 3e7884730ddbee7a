"""The HTML report: self-contained, e-mail-safe, French, complete and escaped."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

from scolint.engine.findings import NOT_EVALUATED
from scolint.plugins.reporters.common import by_rule
from scolint.plugins.reporters.html import fix_steps, fr_datetime, render_html


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def test_registered_and_self_contained(host, result):
    html = host.registries.reporters["html"].render(result, {})
    tags = parse(html)
    names = {t for t, _ in tags.tags}
    assert not names & {"script", "style", "link", "img", "iframe", "object", "form"}
    for _, attrs in tags.tags:
        assert "src" not in attrs and "class" not in attrs
        assert not any(k.startswith("on") for k in attrs)
        assert not (attrs.get("href") or "").startswith(("http", "//"))
    assert "url(" not in html and "@import" not in html and "@font-face" not in html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html


def test_widths_fit_600_px(result):
    html = render_html(result, {})
    widths = [int(w) for w in re.findall(r'width[:=]"?(\d+)(?:px|")', html)]
    assert widths and max(widths) <= 600
    assert "max-width:600px" in html


def test_header_summary_and_flows(result):
    html = render_html(result, {})
    text = " ".join(parse(html).text)
    assert result.uai in text and result.establishment in text
    assert f"année scolaire {result.year}-{result.year + 1}" in text
    export_day = fr_datetime(next(e.exported_at for e in result.exports if e.exported_at))  # the ENT CSV has no date
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", export_day) and export_day in text
    assert fr_datetime(result.started_at) in text
    counts = result.counts()
    for sev, word in (("error", "erreurs"), ("warning", "avertissements"), ("info", "informations")):
        assert re.search(rf">{counts[sev]}</div>\s*<div[^>]*>{word}<", html)
    # the chart and its table fallback: one bar label per flow step, the same totals
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    for flow in ("SIECLE", "STS", "EDT", "PRONOTE", "ENT", "AAF"):
        assert f">{flow}</text>" in svg
        assert re.search(rf"<td[^>]*>{flow}</td>", html)
    siecle = sum(1 for f in result.active() if f.flow == "SIECLE")
    assert siecle and re.search(rf">SIECLE</text>.*?>{siecle}</text>", svg, re.S)


def test_findings_grouped_by_rule_with_fix_and_source(result):
    html = render_html(result, {"limit": 1000})
    for rule_id, items in by_rule(result.active()).items():
        block = html[html.index(f"· {rule_id}"):]
        assert f"{items[0].title} ({len(items)})".replace("'", "&#39;") in block
        for step in fix_steps(items[0].fix):
            assert step.replace("'", "&#39;").replace(">", "&gt;") in block
        for f in items:
            assert f.entity_label.replace("'", "&#39;") in html
            if f.provenance and f.provenance[0].line:
                assert f":{f.provenance[0].line}<" in html
    classes = [f.context["classe"] for f in result.active() if f.context.get("classe")]
    assert classes and f"classe {classes[0]}" in html


def test_long_lists_collapse_to_the_attachment(result):
    first = result.active()[0]
    for i in range(3):  # the same rule failing on more students
        twin = copy.deepcopy(first)
        twin.entity_label, twin.message = f"ÉLÈVE{i} Autre", f"L'élève ÉLÈVE{i} Autre n'a pas de division."
        result.findings.append(twin)
    rules = by_rule(result.active())
    big = rules[first.rule_id]
    assert len(big) >= 4
    html = render_html(result, {"limit": 1, "attachment": "la pièce jointe rapport-0000000X.json"})
    assert html.count("… et <strong>") == sum(1 for items in rules.values() if len(items) > 1)
    assert f"… et <strong>{len(big) - 1}</strong> autre(s) : la liste complète est dans la pièce jointe rapport-0000000X.json" in html  # noqa: E501
    assert big[1].message.replace("'", "&#39;") not in html


def test_not_evaluated_rules_name_the_export(partial_result):
    html = render_html(partial_result, {})
    missing = [o for o in partial_result.outcomes if o.status == NOT_EVALUATED]
    assert missing
    section = html[html.index("Règles non évaluées"):]
    for o in missing:
        assert o.rule_id in section
        info = partial_result.formats[o.missing[0]]
        if info.readable:
            assert info.label in section  # the export to provide
        else:  # an export scolint cannot read is never asked for: the check is made by hand
            by_hand = html[html.index("À vérifier dans le logiciel"):]
            assert o.rule_id in by_hand
            assert f"{info.label}" not in section.split("À vérifier dans le logiciel")[0]


def test_data_is_escaped(result):
    f = result.active()[0]
    f.message = "<script>alert('x')</script> & <b>gras</b>"
    f.entity_label = "<img src=x>"
    html = render_html(result, {})
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;gras&lt;/b&gt;" in html


def test_no_finding_says_so(result):
    result.findings = []
    html = render_html(result, {})
    assert "Aucune anomalie trouvée par les règles évaluées." in html


def test_fix_steps_join_continuation_lines():
    assert fix_steps("1. Ouvrez SIECLE\n   puis la fiche.\n2. Exportez.\n") == ["1. Ouvrez SIECLE puis la fiche.", "2. Exportez."]
    assert fr_datetime("2024-09-22") == "22/09/2024"
    assert fr_datetime("2026-11-29T03:40:12+01:00") == "29/11/2026 à 03:40"
    assert fr_datetime("22/09/2024") == "22/09/2024"


def test_many_failing_rules_show_fewer_findings_each(result):
    from scolint.plugins.reporters.html import per_rule_limit
    base = result.active()[0]
    result.findings = []
    for r in range(12):  # 12 rules with 20 findings each
        for i in range(20):
            f = copy.deepcopy(base)
            f.rule_id, f.message = f"X-TEST-{r:03d}", f"Anomalie {i} de la règle {r}."
            result.findings.append(f)
    assert per_rule_limit([20] * 12) == 4 and per_rule_limit([2, 3]) == 10 and per_rule_limit([100] * 40) == 3
    html = render_html(result, {})
    assert html.count("… et <strong>16</strong> autre(s)") == 12
    assert len(html.encode("utf-8")) < 100_000  # Gmail cuts messages beyond about 100 kB
    assert "Anomalie 3 de la règle 0." in html and "Anomalie 4 de la règle 0." not in html
