"""The portal over HTTP, in process: every route, every refusal, nothing left on disk.

Real uploads of a generated school (its ground truth says which rules must fire), audited
by the portal's own worker processes.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest
from portal_helpers import csrf_of, leftovers, login, new_token, running, upload


@pytest.fixture(scope="module")
def portal(tmp_path_factory, school):
    """One portal for most tests: two schools' tokens and an academy token."""
    tmp = tmp_path_factory.mktemp("portail")
    data = tmp / "donnees"
    tokens = {"a": new_token(data, school["uai"]), "b": new_token(data, "0750001A"),
              "academie": new_token(data, "--academie", "rectorat")}
    with running(tmp) as client:
        client.tokens = tokens
        yield client


def fresh(portal, who):
    """A new browser (cookies of its own) on the same portal, logged in as ``who``."""
    from starlette.testclient import TestClient
    client = TestClient(portal.app, base_url="http://testserver")
    client.tmp = portal.tmp
    if who:
        assert login(client, portal.tokens[who]).status_code == 303
    return client


def no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html, re.I):
        assert "src=" in tag, f"script en ligne : {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "gestionnaire d'événement en ligne"


def test_login_page_is_french_with_security_headers(portal):
    page = fresh(portal, None).get("/")
    assert page.status_code == 200
    assert "Jeton d'accès de l'établissement" in page.text and 'lang="fr"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert not re.search(r"https?://", re.sub(r'content="[^"]*"', "", page.text)), "ressource externe"
    no_inline_script(page.text)


def test_wrong_token_is_refused_and_gives_no_access(portal):
    client = fresh(portal, None)
    page = client.post("/connexion", data={"csrf": csrf_of(client.get("/").text), "jeton": "pas-un-jeton"})
    assert page.status_code == 403 and "jeton inconnu" in page.text
    assert "Jeton d'accès" in client.get("/").text  # still the login page
    refused = client.post("/envoyer", files=[("fichiers", ("a.xml", b"<a/>", "text/xml"))])
    assert refused.status_code == 401 and "reconnectez-vous" in refused.text
    assert client.get("/envoyer").status_code == 405


def test_login_without_csrf_is_refused(portal):
    client = fresh(portal, None)
    client.get("/")
    page = client.post("/connexion", data={"jeton": portal.tokens["a"]}, follow_redirects=False)
    assert page.status_code == 403 and "anti-falsification" in page.text
    assert "Jeton d'accès" in client.get("/").text


def test_school_uploads_its_zip_reads_report_and_downloads(portal, school):
    client = fresh(portal, "a")
    form = client.get("/")
    assert 'enctype="multipart/form-data"' in form.text and "multiple" in form.text
    no_inline_script(form.text)
    sent = upload(client, [school["zip"]])
    assert sent.status_code == 200
    steps = re.findall(r'<li data-etape="">([^<]*)</li>', sent.text)
    assert steps[0] == "Fichiers reçus" and "Rédaction du rapport" in steps
    url = sent.headers["x-scolint-resultat"]
    assert f'href="{url}"' in sent.text and len(url.rsplit("/", 1)[1]) >= 40
    assert leftovers(client) == [], "l'envoi est resté sur le disque"

    report = client.get(url)
    assert report.status_code == 200 and report.headers["cache-control"] == "no-store"
    assert school["uai"] in report.text
    for rule in {f["rule"] for f in school["truth"]["findings"]}:
        assert rule in report.text, f"règle {rule} de la vérité terrain absente du rapport"
    no_inline_script(report.text)
    links = re.findall(rf'href="({re.escape(url)}/[^"]+)"', report.text)
    names = [link.rsplit("/", 1)[1] for link in links]
    assert f"rapport-{school['uai']}.json" in names and f"rapport-{school['uai']}.html" in names

    as_json = client.get(f"{url}/rapport-{school['uai']}.json")
    assert as_json.status_code == 200 and "attachment" in as_json.headers["content-disposition"]
    doc = json.loads(as_json.content)
    assert {f["rule"] for f in school["truth"]["findings"]} <= {f["rule"] for f in doc["anomalies"]}
    assert doc["uai"] == school["uai"]
    assert names[0] == f"rapport-{school['uai']}.xlsx"  # the spreadsheet first
    sheet = client.get(f"{url}/rapport-{school['uai']}.xlsx")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert zipfile.ZipFile(io.BytesIO(sheet.content)).testzip() is None
    as_html = client.get(f"{url}/rapport-{school['uai']}.html")
    assert as_html.text.startswith("<!DOCTYPE html>") and school["uai"] in as_html.text


def test_several_files_are_one_upload(portal, school):
    client = fresh(portal, "a")
    sent = upload(client, school["files"])
    report = client.get(sent.headers["x-scolint-resultat"])
    assert report.status_code == 200 and school["uai"] in report.text
    assert "EDT-STS-002" in report.text
    assert leftovers(client) == []


def test_another_school_cannot_reach_a_result(portal, school):
    owner = fresh(portal, "a")
    url = upload(owner, [school["zip"]]).headers["x-scolint-resultat"]
    download = f"{url}/rapport-{school['uai']}.json"
    assert owner.get(download).status_code == 200
    for other in (fresh(portal, "b"), fresh(portal, "academie"), fresh(portal, None)):
        for target in (url, download):
            page = other.get(target)
            assert page.status_code == 404 and school["uai"] not in page.text
    bearer = fresh(portal, None)
    page = bearer.get(download, headers={"Authorization": f"Bearer {portal.tokens['b']}"})
    assert page.status_code == 404


def test_exports_of_another_school_are_refused(portal, school):
    client = fresh(portal, "b")  # token of 0750001A, exports of the generated school
    url = upload(client, [school["zip"]]).headers["x-scolint-resultat"]
    page = client.get(url)
    assert page.status_code == 422 and "pas le vôtre (0750001A)" in page.text
    assert leftovers(client) == []


def test_forged_forms_are_refused(portal, school):
    client = fresh(portal, "a")
    missing = upload(client, [school["zip"]], csrf=None)
    assert missing.status_code == 403 and "anti-falsification" in missing.text
    forged = upload(client, [school["zip"]], csrf="0" * 64)
    assert forged.status_code == 403
    other = fresh(portal, "b")  # a real token, of another session
    stolen = upload(client, [school["zip"]], csrf=csrf_of(other.get("/").text))
    assert stolen.status_code == 403
    cross = upload(client, [school["zip"]], headers={"Origin": "https://attaquant.example"})
    assert cross.status_code == 403 and "autre site" in cross.text
    fetched = upload(client, [school["zip"]], headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    assert leftovers(client) == []


def test_zip_bomb_and_unreadable_files_are_refused_and_server_goes_on(portal, school, tmp_path):
    client = fresh(portal, "a")
    bomb = tmp_path / "exports.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ExportEmploiDuTemps.xml", b"\0" * (60 * 1024 * 1024))
    assert bomb.stat().st_size < 200 * 1024
    page = client.get(upload(client, [bomb]).headers["x-scolint-resultat"])
    assert page.status_code == 422 and "bombe de décompression" in page.text
    damaged = tmp_path / "abime.zip"
    damaged.write_bytes(school["zip"].read_bytes()[:5000])
    page = client.get(upload(client, [damaged]).headers["x-scolint-resultat"])
    assert page.status_code == 422 and "archive .zip illisible" in page.text
    garbage = tmp_path / "sts_emp_0312201Z_2024.xml"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    page = client.get(upload(client, [garbage]).headers["x-scolint-resultat"])
    assert page.status_code == 422 and "Aucun export reconnu" in page.text
    assert "sts_emp_0312201Z_2024.xml : fichier non reconnu" in page.text
    assert leftovers(client) == []
    # the server goes on serving: a real upload right after
    good = client.get(upload(client, [school["zip"]]).headers["x-scolint-resultat"])
    assert good.status_code == 200 and school["uai"] in good.text


def test_empty_upload_and_not_a_form(portal):
    client = fresh(portal, "a")
    empty = client.post("/envoyer", data={"csrf": csrf_of(client.get("/").text)},
                        files=[("fichiers", ("", b"", "application/octet-stream"))])
    assert empty.status_code == 400 and "Aucun fichier reçu" in empty.text
    raw = client.post("/envoyer", content=b"x=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 400 and "multipart" in raw.text
    assert leftovers(client) == []


def test_dashboard_is_for_the_academy_only(portal, school):
    school_client = fresh(portal, "a")
    upload(school_client, [school["zip"]])
    assert school_client.get("/academie").status_code == 403
    assert fresh(portal, None).get("/academie").status_code == 401
    academy = fresh(portal, None)
    landed = login(academy, portal.tokens["academie"])
    assert landed.headers["location"] == "/academie"
    board = academy.get("/academie")
    assert board.status_code == 200
    row = re.search(rf"<tr><th scope=\"row\">{school['uai']}</th>.*?</tr>", board.text, re.S)
    assert row and re.search(r"<td>\d+</td>", row.group(0))
    # from the history of the data folder: readiness for the remontée and the errors' trend
    assert re.search(r"<td>(prêt|non prêt|indéterminé)</td><td>\d+( → \d+)*</td>", row.group(0))
    assert "historique des audits" in board.text
    assert "0750001A" in board.text  # has a token, no upload yet
    no_inline_script(board.text)


def test_bearer_token_for_scripts(portal, school):
    client = fresh(portal, None)
    auth = {"Authorization": f"Bearer {portal.tokens['a']}"}
    sent = client.post("/envoyer", headers=auth,
                       files=[("fichiers", ("exports.zip", school["zip"].read_bytes(), "application/zip"))])
    url = sent.headers["x-scolint-resultat"]
    assert client.get(url, headers=auth).status_code == 200
    wrong = client.post("/envoyer", headers={"Authorization": "Bearer faux"},
                        files=[("fichiers", ("exports.zip", b"PK", "application/zip"))])
    assert wrong.status_code == 401


def test_logout_ends_the_session(portal, school):
    client = fresh(portal, "a")
    url = upload(client, [school["zip"]]).headers["x-scolint-resultat"]
    bye = client.post("/deconnexion", data={"csrf": csrf_of(client.get("/").text)}, follow_redirects=False)
    assert bye.status_code == 303
    assert client.get(url).status_code == 404
    assert "Jeton d'accès" in client.get("/").text


def test_static_files_and_unknown_pages(portal):
    client = fresh(portal, None)
    js = client.get("/statique/portail.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert client.get("/statique/portail.css").headers["content-type"].startswith("text/css")
    assert client.get("/statique/../app.py").status_code == 404
    missing = client.get("/nulle-part")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    assert client.get("/sante").text == "ok"
    assert client.get("/demo/exports-demo.zip").status_code == 404  # not a demo portal


def test_limits_size_files_rate_and_logins(tmp_path, school):
    data = tmp_path / "donnees"
    token = new_token(data, school["uai"])
    with running(tmp_path, max_bytes=1024 * 1024, max_files=3, uploads_per_hour=4, login_failures=2) as client:
        assert login(client, token).status_code == 303
        big = tmp_path / "gros.xml"
        big.write_bytes(b"<a>" + b"x" * (2 * 1024 * 1024) + b"</a>")
        page = upload(client, [big])
        assert page.status_code == 413 and "1 Mo au plus" in page.text
        csrf = csrf_of(client.get("/").text)
        body = _multipart(csrf, big.read_bytes())
        streamed = client.post("/envoyer", content=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                               headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
        assert streamed.status_code == 413  # no Content-Length: counted as it arrives
        small = []
        for i in range(4):
            small.append(tmp_path / f"export-{i}.csv")
            small[-1].write_text("Nom;Prénom\n", "utf-8")
        many = upload(client, small)
        assert many.status_code == 413 and "3 au plus" in many.text
        assert leftovers(client) == []
        team = {"Authorization": f"Bearer {new_token(data, '--academie', 'equipe')}"}
        answers = [client.post("/envoyer", headers=team, files=[("fichiers", ("a.csv", b"Nom\n", "text/csv"))])
                   for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
        assert "4 envois par heure au plus" in answers[-1].text
        other = type(client)(client.app, base_url="http://testserver")
        for _ in range(2):
            assert login(other, "faux").status_code == 403
        assert login(other, token).status_code == 429  # even the right token, for a while


def _multipart(csrf: str, content: bytes) -> bytes:
    return (b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf.encode() +
            b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"gros.xml\"\r\n"
            b"Content-Type: text/xml\r\n\r\n" + content + b"\r\n--XyZ--\r\n")


def test_time_limit_kills_the_audit_and_cleans_up(tmp_path, school):
    data = tmp_path / "donnees"
    token = new_token(data, school["uai"])
    with running(tmp_path, timeout=0.05) as client:
        login(client, token)
        sent = upload(client, [school["zip"]])
        page = client.get(sent.headers["x-scolint-resultat"])
        assert page.status_code == 503 and "durée maximale" in page.text
        assert leftovers(client) == []
        assert client.get("/sante").text == "ok"
        second = client.get(upload(client, [school["zip"]]).headers["x-scolint-resultat"])
        assert "durée maximale" in second.text  # a new worker took the dead one's place


def test_results_expire(tmp_path, school):
    now = [1000.0]
    data = tmp_path / "donnees"
    token = new_token(data, school["uai"])
    with running(tmp_path, clock=lambda: now[0], result_ttl=300) as client:
        login(client, token)
        url = upload(client, [school["zip"]]).headers["x-scolint-resultat"]
        assert client.get(url).status_code == 200
        now[0] += 301
        page = client.get(url)
        assert page.status_code == 404 and "expiré" in page.text


def test_reverse_proxy_header(tmp_path, school):
    with running(tmp_path, sso_header="X-Remote-Uai", sso_academy=("rectorat",)) as client:
        assert client.get("/").status_code == 401
        me = {"X-Remote-Uai": school["uai"]}
        form = client.get("/", headers=me)
        assert form.status_code == 200 and f"Établissement {school['uai']}" in form.text
        assert "Se déconnecter" not in form.text
        refused = client.post("/envoyer", headers=me,
                              files=[("fichiers", ("exports.zip", school["zip"].read_bytes(), "application/zip"))])
        assert refused.status_code == 403  # the header is ambient: CSRF still required
        sent = upload(client, [school["zip"]], csrf=csrf_of(form.text), headers=me)
        assert client.get(sent.headers["x-scolint-resultat"], headers=me).status_code == 200
        other = client.get(sent.headers["x-scolint-resultat"], headers={"X-Remote-Uai": "0750001A"})
        assert other.status_code == 404
        assert client.get("/academie", headers={"X-Remote-Uai": "rectorat"}).status_code == 200
        assert client.get("/academie", headers=me).status_code == 403
        assert client.get("/", headers={"X-Remote-Uai": "n'importe qui"}).status_code == 401


def test_demo_archive_for_logged_in_users(tmp_path, school):
    data = tmp_path / "donnees"
    token = new_token(data, school["uai"])
    with running(tmp_path, demo_zip=school["zip"]) as client:
        assert client.get("/demo/exports-demo.zip").status_code == 404
        login(client, token)
        assert "exports-demo.zip" in client.get("/").text
        got = client.get("/demo/exports-demo.zip")
        assert got.status_code == 200 and zipfile.ZipFile(io.BytesIO(got.content)).namelist()


def test_second_upload_says_what_was_fixed(tmp_path, school):
    """The EDT manager sends the exports, removes the ENT accounts export that carried
    problems, sends again: the report lists findings as fixed since the first upload."""
    data = tmp_path / "donnees"
    token = new_token(data, school["uai"])
    fixed = tmp_path / "corrige.zip"
    with zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in school["files"]:
            if not f.name.startswith("ENT-Identifiants"):
                zf.write(f, f.name)
    with running(tmp_path) as client:
        login(client, token)
        first = client.get(upload(client, [school["zip"]]).headers["x-scolint-resultat"])
        assert first.status_code == 200 and "corrigée(s)" not in first.text
        second = client.get(upload(client, [fixed]).headers["x-scolint-resultat"])
        found = re.search(r"(\d+) corrigée\(s\)", second.text)
        assert found and int(found.group(1)) >= 1, "aucune anomalie listée comme corrigée"
        assert "Depuis le contrôle du" in second.text
        url = upload(client, [fixed]).headers["x-scolint-resultat"]
        doc = json.loads(client.get(f"{url}/rapport-{school['uai']}.json").content)
        assert doc["changements"]["bilan"]["corrigées"] == 0  # nothing changed between the last two
    assert leftovers(client) == []
    assert any(p.suffix in (".sqlite", ".db", ".sqlite3") for p in data.iterdir()), sorted(data.iterdir())


def test_internal_error_of_the_pool_is_a_french_page(tmp_path, school, monkeypatch, capfd):
    """A bug between the server and its workers: the waiting page ends on a French error
    page (500), never on an endless wait nor on the exception's text, which may quote data."""
    from scolint.plugins.portal.jobs import AuditPool

    async def broken(self, job, step):
        raise RuntimeError("ligne illisible : DUPONT Lea MdpLeak7Q2")

    monkeypatch.setattr(AuditPool, "run", broken)
    data = tmp_path / "donnees"
    token = new_token(data, school["uai"])
    with running(tmp_path) as client:
        login(client, token)
        sent = upload(client, [school["zip"]])
        assert sent.status_code == 200
        page = client.get(sent.headers["x-scolint-resultat"])
        shown = html.unescape(page.text)
        assert page.status_code == 500 and "Erreur interne pendant l'analyse" in shown, shown[-1500:]
        assert leftovers(client) == []
    printed = "".join(capfd.readouterr())
    for text in (page.text, sent.text, printed):
        assert "MdpLeak7Q2" not in text and "DUPONT" not in text and "Traceback" not in text
    assert "RuntimeError" in printed  # the server's log says what broke, and where
