/* scolint portal: drag and drop, upload progress, analysis steps. Optional: without it
   the plain form posts and the server streams the same steps. */
(function () {
  "use strict";
  var form = document.getElementById("formulaire-envoi");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = document.getElementById("fichiers");
  var zone = document.getElementById("zone-depot");
  var choice = document.getElementById("choix");
  var button = document.getElementById("bouton-envoi");
  var box = document.getElementById("avancement");
  var bar = document.getElementById("barre");
  var state = document.getElementById("etat");

  function describe() {
    var n = input.files ? input.files.length : 0;
    var total = 0;
    for (var i = 0; i < n; i++) { total += input.files[i].size; }
    choice.textContent = n ? n + " fichier(s) choisi(s), " + (total / 1048576).toFixed(1).replace(".", ",") + " Mo" : "";
  }
  input.addEventListener("change", describe);

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("survol"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("survol"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      describe();
    }
  });

  function show(text) { state.textContent = text; }

  function replaceMain(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    var here = document.querySelector("main");
    if (main && here) { here.innerHTML = main.innerHTML; here.focus(); }
  }

  form.addEventListener("submit", function (e) {
    if (!input.files || !input.files.length) { return; }
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    var seen = 0;
    button.disabled = true;
    box.hidden = false;
    show("Envoi des fichiers…");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) {
        var pct = Math.round(100 * ev.loaded / ev.total);
        bar.value = pct;
        bar.textContent = pct + " %";
        show("Envoi des fichiers : " + pct + " %");
      }
    });
    xhr.upload.addEventListener("load", function () { bar.removeAttribute("value"); show("Fichiers envoyés, analyse…"); });
    xhr.addEventListener("progress", function () {
      var text = xhr.responseText || "";
      var re = /<li data-etape="">([^<]*)<\/li>/g;
      var m, last = null;
      while ((m = re.exec(text)) !== null) { last = m[1]; seen++; }
      if (last) {
        var tmp = document.createElement("textarea");
        tmp.innerHTML = last;
        show(tmp.value + "…");
      }
    });
    xhr.addEventListener("load", function () {
      var url = xhr.getResponseHeader("X-Scolint-Resultat");
      if (xhr.status === 200 && url && url.indexOf("/rapport/") === 0) {
        window.location.assign(url);
        return;
      }
      replaceMain(xhr.responseText);
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      show("L'envoi a échoué (connexion interrompue ?) : réessayez.");
    });
    xhr.open("POST", form.getAttribute("action"));
    xhr.send(new FormData(form));
  });
}());
