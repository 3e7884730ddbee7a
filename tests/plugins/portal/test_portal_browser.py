"""The portal as a school's EDT manager uses it: a real Chromium (Debian's, driven by
Selenium through Debian's chromedriver) against a real ``scolint serve`` on 127.0.0.1.

Phone width (390 px): log in with the keyboard, choose the .zip, send, follow the steps,
read the report, download the JSON and the HTML report; then the academy's dashboard.
Once more with JavaScript off: the plain form and the streamed page lead to the report.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from portal_helpers import new_token

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, school):
    """``scolint serve`` in its own process, as an academy would start it."""
    base = tmp_path_factory.mktemp("serveur")
    data, tmp = base / "donnees", base / "tmp"
    tmp.mkdir()
    tokens = {"ecole": new_token(data, school["uai"]), "academie": new_token(data, "--academie", "rectorat")}
    port = free_port()
    log = open(base / "serveur.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from scolint.engine.cli import main; sys.exit(main())",
                             "serve", "--donnees", str(data), "--port", str(port), "--processus", "1",
                             "--dossier-temporaire", str(tmp)], stdout=log, stderr=subprocess.STDOUT, cwd=base)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):  # at most 30 s
        try:
            with urllib.request.urlopen(url + "/sante", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("le portail n'a pas démarré : " + (base / "serveur.log").read_text("utf-8", "replace")[-2000:])
    yield {"url": url, "tokens": tokens, "tmp": tmp, "log": base / "serveur.log"}
    proc.terminate()
    proc.wait(20)
    log.close()


def browser(downloads: Path, javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.fail("Chromium et chromedriver sont nécessaires : apt-get install chromium chromium-driver (.ci/run)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.page_load_strategy = "none"  # a streamed page is "loading" until the audit ends: waits are explicit
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=390,844",
                "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(arg)
    if javascript:  # a phone's width (a desktop window cannot be narrower than 500 px)
        options.add_experimental_option("mobileEmulation",
                                        {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}})
    prefs = {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    env = dict(os.environ, SE_OFFLINE="true")
    return webdriver.Chrome(options=options, service=Service(DRIVER, env=env))


def wait_for(condition, seconds: float = 120.0, driver=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("attente dépassée" + (f" ; page : {driver.current_url}\n{driver.page_source[-3000:]}"
                                                 if driver else ""))


def log_in(driver, url: str, token: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    driver.get(url + "/")
    field = wait_for(lambda: driver.find_elements(By.ID, "jeton"), 30)[0]
    field.send_keys(token + Keys.ENTER)  # the keyboard only


def no_overflow(driver) -> None:
    width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[1] == 390, width
    assert width[0] <= width[1], f"la page déborde à {width[1]} px : {width[0]} px"


def csp_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def test_school_and_academy_in_chromium(server, school, tmp_path):
    from selenium.webdriver.common.by import By
    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    driver = browser(downloads)
    try:
        log_in(driver, server["url"], server["tokens"]["ecole"])
        wait_for(lambda: driver.find_elements(By.ID, "fichiers"), 30, driver)
        assert f"Établissement {school['uai']}" in driver.find_element(By.TAG_NAME, "header").text
        no_overflow(driver)
        driver.find_element(By.ID, "fichiers").send_keys(str(school["zip"]))
        assert "1 fichier(s) choisi(s)" in driver.find_element(By.ID, "choix").text  # the script runs
        driver.find_element(By.ID, "bouton-envoi").click()
        wait_for(lambda: "/rapport/" in driver.current_url and driver.find_elements(By.CLASS_NAME, "telechargements"))
        text = driver.find_element(By.TAG_NAME, "main").text
        assert school["uai"] in text and "Télécharger" in text
        for rule in {f["rule"] for f in school["truth"]["findings"]}:
            assert rule in text, rule
        no_overflow(driver)
        for link in driver.find_elements(By.CSS_SELECTOR, ".telechargements a"):
            link.click()
        wanted = {f"rapport-{school['uai']}.json", f"rapport-{school['uai']}.html"}
        wait_for(lambda: wanted <= {p.name for p in downloads.iterdir()}, 60)
        doc = json.loads((downloads / f"rapport-{school['uai']}.json").read_text("utf-8"))
        assert doc["uai"] == school["uai"] and doc["anomalies"]
        assert school["uai"] in (downloads / f"rapport-{school['uai']}.html").read_text("utf-8")
        assert not [p for private in server["tmp"].iterdir() for p in private.rglob("*")], "envoi resté sur le disque"

        driver.find_element(By.CSS_SELECTOR, "nav.compte button").click()  # se déconnecter
        wait_for(lambda: driver.find_elements(By.ID, "jeton"), 30, driver)
        log_in(driver, server["url"], server["tokens"]["academie"])
        row = wait_for(lambda: "/academie" in driver.current_url
                       and driver.find_elements(By.XPATH, f"//tbody/tr[th='{school['uai']}']"), 30, driver)[0]
        assert [c.text for c in row.find_elements(By.TAG_NAME, "td")][2].isdigit()
        assert csp_errors(driver) == []
    finally:
        driver.quit()


def test_plain_form_without_javascript(server, school, tmp_path):
    from selenium.webdriver.common.by import By
    driver = browser(tmp_path, javascript=False)
    try:
        log_in(driver, server["url"], server["tokens"]["ecole"])
        wait_for(lambda: driver.find_elements(By.ID, "fichiers"), 30, driver)
        driver.find_element(By.ID, "fichiers").send_keys(str(school["zip"]))
        driver.find_element(By.ID, "bouton-envoi").click()
        # the streamed page, then its "Voir le rapport" link (or its refresh) leads to the report
        wait_for(lambda: driver.find_elements(By.CLASS_NAME, "telechargements"), 120, driver)
        assert school["uai"] in driver.find_element(By.TAG_NAME, "h1").text
    finally:
        driver.quit()


def test_abandoned_upload_leaves_nothing(server, school):
    """The browser goes away during the analysis: the audit is stopped, the upload erased."""
    import http.client
    boundary = "frontiere"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"exports.zip\"\r\n"
            "Content-Type: application/zip\r\n\r\n").encode() + school["zip"].read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    port = int(server["url"].rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/envoyer", body=body, headers={
        "Authorization": f"Bearer {server['tokens']['ecole']}",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    answer = conn.getresponse()
    assert answer.status == 200
    assert b"Analyse en cours" in answer.read1(65536)  # the page has started: the upload is on disk
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    wait_for(lambda: not [p for private in server["tmp"].iterdir() for p in private.rglob("*")], 60)
    with urllib.request.urlopen(server["url"] + "/sante", timeout=10) as r:  # still serving
        assert r.read() == b"ok"
