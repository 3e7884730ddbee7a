"""The HTML report: self-contained, e-mail-safe, French, complete and escaped."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path

from scolint.engine.findings import NOT_EVALUATED
from scolint.plugins.reporters.common import by_rule
from scolint.plugins.reporters.html import fix_steps, fr_datetime, mail_part_size, render_html


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
        assert re.search(rf"<strong>{counts[sev]}</strong> {word}</li>", html)
    # the chart, its legend and its table: one bar label per flow step, the same totals
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    legend = html[html.index('aria-label="Légende"'):html.index("<svg")]
    assert all(w in legend for w in ("Erreurs", "Avertissements", "Informations"))
    for flow in ("SIECLE", "STS", "EDT", "PRONOTE", "ENT", "AAF"):
        assert f">{flow}</text>" in svg
        assert re.search(rf'<th scope="row"[^>]*>{flow}</th>', html)
    siecle = sum(1 for f in result.active() if f.flow == "SIECLE")
    assert siecle and re.search(rf">SIECLE</text>.*?>{siecle}</text>", svg, re.S)
    # readable on a phone: drawn at most 340 units wide, shown at most 340 px, 14 px labels
    assert 'viewBox="0 0 340 ' in svg and "max-width:340px" in svg and 'font-size="14"' in svg


def test_structure_reads_without_css(result):
    html = render_html(result, {})
    tags = [t for t, _ in parse(html).tags]
    assert tags.count("h1") == 1 and tags.count("h2") >= 4 and tags.count("h3") >= len(by_rule(result.active()))
    assert "ol" in tags and "ul" in tags and "li" in tags and "a" in tags
    headers = [a for t, a in parse(html).tags if t == "th"]
    assert headers and all(a.get("scope") in ("col", "row") for a in headers)
    anchors = {a["href"][1:] for t, a in parse(html).tags if t == "a" and a.get("href", "").startswith("#")}
    ids = {a["id"] for _, a in parse(html).tags if a.get("id")}
    assert anchors and anchors <= ids  # every link of the summary leads somewhere
    assert "\u200b" not in html and "\u00ad" not in html  # nothing invisible inside a copied name


def test_root_causes_first_then_by_who_fixes(result):
    wrong_year = copy.deepcopy(result.findings[0])  # an export of last year, found last
    wrong_year.rule_id, wrong_year.severity, wrong_year.fingerprint = "X-UAI-001", "error", "x"
    wrong_year.message = "Le fichier Nomenclature.xml est de l'année scolaire 2023-2024."
    result.findings.append(wrong_year)
    html = render_html(result, {})
    uai = html.index("· X-UAI-001<")
    for rule_id in by_rule(result.active()):
        if rule_id != "X-UAI-001":
            assert html.index(f"· {rule_id}<") > uai, rule_id
    order = [html.index(f'id="groupe-{k}"') for k in ("exports", "secretariat", "emploi-du-temps", "referent-ent")]
    assert order == sorted(order)
    assert "Corrigez d'abord les exports eux-mêmes, puis renvoyez-les" in html
    # a rule's ``responsable`` key overrides its flow: PRN-ENT-003 (PRONOTE) is the ENT referent's
    ent = html[html.index('id="groupe-referent-ent"'):]
    assert "· PRN-ENT-003<" in ent and "· PRN-RESP-001<" in html[:html.index('id="groupe-referent-ent"')]
    # within a group, the flow's order: STS before EDT before PRONOTE
    edt = html[html.index('id="groupe-emploi-du-temps"'):html.index('id="groupe-referent-ent"')]
    assert edt.index("· STS-SERV-001<") < edt.index("· EDT-PRN-001<") < edt.index("· PRN-RESP-001<")


def test_findings_in_the_schools_words(result, generated):
    html = render_html(result, {"max_bytes": None}).replace("\u00a0", " ")  # the words (spaces: next test)
    for rule_id, items in by_rule(result.active()).items():
        block = html[html.index(f"· {rule_id}<"):]
        assert f"{items[0].title} ({len(items)})".replace("'", "&#39;") in html
        for step in fix_steps(items[0].fix):
            assert step.replace("'", "&#39;").replace(">", "&gt;") in block
        for f in items:
            assert f.message.replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;") in html
    # the export's file name, never the auditor's folder, never an XML line number
    assert str(generated) not in html and "verite-terrain" not in html
    f = next(f for f in result.active() if f.provenance and f.provenance[0].line and f.entity_kind == "student")
    name = Path(f.provenance[0].file).name
    assert f"{name}:{f.provenance[0].line}" not in html.replace("<wbr>", "")
    assert f"Où : élève {f.entity_label}" in html and name in html.replace("<wbr>", "")
    classes = [f.context["classe"] for f in result.active() if f.context.get("classe")]
    assert classes and f"classe {classes[0]}" in html
    account = next(f for f in result.active() if f.entity_kind == "ent_account")
    assert f"compte ENT {account.entity_label}".replace("'", "&#39;") in html.replace("<wbr>", "")


def test_long_lists_go_to_the_attachment_under_the_byte_budget(result):
    base = result.active()[1]
    for i in range(400):  # the same rule failing on many more students
        twin = copy.deepcopy(base)
        twin.entity_id, twin.entity_label = f"X{i}", f"ÉLÈVE{i} Autre"
        twin.message = f"L'élève ÉLÈVE{i} Autre n'a pas de division : " + "détail " * 20
        result.findings.append(twin)
    attachment = "la pièce jointe rapport-0000000X.xlsx (tableur)"
    html = render_html(result, {"attachment": attachment})
    assert mail_part_size(html) <= 95_000
    rules = by_rule(result.active())
    big = rules[base.rule_id]
    shown = sum(1 for f in big if f.message.replace("'", "&#39;") in html)
    assert 0 < shown < len(big)
    assert f"… et <strong>{len(big) - shown}</strong> autre(s) : la liste complète est dans {attachment}" in html
    # every rule stays in the summary with its count, even when none of its findings is listed
    summary = html[html.index("Par où commencer"):html.index('id="groupe-')]
    for rule_id, items in rules.items():
        assert f"({len(items)}, " in summary


def test_guillemets_never_leave_their_content_on_a_phone(result):
    """French typography: « 6BATELIE » wraps as one word (no-break spaces inside the
    guillemets), whatever text carries them (messages, how-to texts, fixes)."""
    html = render_html(result, {"max_bytes": None})
    assert "«\u00a0" in html and "\u00a0»" in html
    assert "« " not in html and " »" not in html


def test_not_evaluated_rules_name_the_export_to_send(partial_result):
    html = render_html(partial_result, {}).replace("\u00a0", " ")  # the words (spaces: test above)
    missing = [o for o in partial_result.outcomes if o.status == NOT_EVALUATED
               and partial_result.formats[o.missing[0]].kinds != ()]
    assert missing
    section = html[html.index('id="exports-manquants"'):]
    for o in missing:
        assert o.rule_id in section
        fmt = partial_result.formats[o.missing[0]]
        assert fmt.label in section and fmt.how_to_get.replace("'", "&#39;").replace(">", "&gt;") in section
    assert html.index('id="exports-manquants"') < html.index('id="groupe-')
    # an export scolint cannot read is never asked for (EDT-PRN-004: EDT's export to PRONOTE)
    assert "EDT-PRN-004" not in section[:section.index("</section>")]


def test_data_is_escaped(result):
    f = result.active()[0]
    f.message = "<script>alert('x')</script> & <b>gras</b>"
    f.entity_label = "<img src=x>"
    html = render_html(result, {})
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;gras&lt;/b&gt;" in html


def test_clean_school_is_told_all_is_well(result):
    result.findings = []
    html = render_html(result, {})
    assert "Tout est en ordre" in html and "Par où commencer" not in html


def test_changes_since_the_previous_audit(result):
    from scolint.plugins.reporters.plan import changes_since
    active = result.active()
    previous = {f.fingerprint: {"rule": f.rule_id, "title": f.title} for f in active[5:]}
    previous["ancienne-empreinte"] = {"rule": "SIE-DIV-001", "title": "Élève sans division"}
    ch = changes_since(previous, active)
    assert (len(ch.new), len(ch.still), len(ch.fixed)) == (5, len(active) - 5, 1)
    assert ch.fixed[0]["fingerprint"] == "ancienne-empreinte"
    assert len(changes_since([f.fingerprint for f in active], active).new) == 0  # fingerprints alone do too
    html = render_html(result, {"previous": previous})
    section = html[html.index("Ce qui a changé depuis le dernier audit"):]
    still = len(active) - 5
    assert f"<strong>5 nouvelle(s)</strong>, <strong>1 corrigée(s)</strong>, {still} toujours là" in section
    assert "Élève sans division (SIE-DIV-001)" in section  # the fixed one, by rule


def test_fix_steps_join_continuation_lines():
    assert fix_steps("1. Ouvrez SIECLE\n   puis la fiche.\n2. Exportez.\n") == ["Ouvrez SIECLE puis la fiche.", "Exportez."]
    assert fr_datetime("2024-09-22") == "22/09/2024"
    assert fr_datetime("2026-11-29T03:40:12+01:00") == "29/11/2026 à 03:40"
    assert fr_datetime("22/09/2024") == "22/09/2024"
