// Mass e-mail: fill the message from a template, show the filters of the chosen recipients, confirm the send,
// and keep a send's progress bar up to date by polling its JSON endpoint.
(function () {
    "use strict";

    function byId(id) { return document.getElementById(id); }

    function setupCompose() {
        var form = byId("compose-form");
        if (!form) { return; }
        var data = byId("mail-templates-data");
        var templates = data ? JSON.parse(data.textContent || "{}") : {};
        var select = form.querySelector("select[name=template_id]");
        if (select) {
            select.addEventListener("change", function () {
                var chosen = templates[select.value];
                if (!chosen) { return; }
                form.querySelector("input[name=subject]").value = chosen.subject;
                form.querySelector("textarea[name=body]").value = chosen.body;
            });
        }
        var kind = form.querySelector("select[name=kind]");
        function showAudience() {
            form.querySelectorAll("fieldset.audience").forEach(function (fieldset) {
                fieldset.hidden = kind && fieldset.getAttribute("data-kind") !== kind.value;
            });
        }
        if (kind) {
            kind.addEventListener("change", showAudience);
            showAudience();
        }
        var send = byId("send-button");
        if (send) {
            send.addEventListener("click", function (event) {
                if (!window.confirm(send.getAttribute("data-confirm-send"))) { event.preventDefault(); }
            });
        }
    }

    function setupProgress() {
        var card = byId("mail-job");
        if (!card) { return; }
        var url = card.getAttribute("data-progress-url");
        var status = byId("job-status");
        var open = ["queued", "sending"];
        if (open.indexOf(status.getAttribute("data-status")) < 0) { return; }

        function show(progress) {
            var bar = byId("mail-progress");
            bar.max = progress.total || 1;
            bar.value = progress.finished;
            bar.textContent = progress.percent + "%";
            byId("progress-finished").textContent = progress.finished;
            byId("progress-total").textContent = progress.total;
            ["sent", "failed", "bounced", "skipped", "pending"].forEach(function (name) {
                byId("count-" + name).textContent = progress[name];
            });
            status.textContent = progress.status_label;
            status.setAttribute("data-status", progress.status);
        }

        function poll() {
            fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
                .then(function (response) { return response.ok ? response.json() : null; })
                .then(function (progress) {
                    if (!progress) { return; }
                    show(progress);
                    if (open.indexOf(progress.status) < 0) {
                        window.location.reload();  // the recipient table shows the final statuses
                        return;
                    }
                    window.setTimeout(poll, 2000);
                })
                .catch(function () { window.setTimeout(poll, 5000); });
        }
        window.setTimeout(poll, 1000);
    }

    document.addEventListener("DOMContentLoaded", function () {
        setupCompose();
        setupProgress();
    });
}());
