// Record forms work without this script; it only saves round trips:
// - "Nog een regel" adds an empty row in the page instead of sending the form;
// - Enter in a text field saves the form (the first button in the form is a
//   "Nog een regel", which a browser would otherwise press);
// - the summary of errors, or the preview of a verdict, gets the focus.
(function () {
  "use strict";

  function renumber(row, index) {
    row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/\[\d+\]/, "[" + index + "]")
            .replace(/-\d+-/g, "-" + index + "-").replace(/-\d+$/, "-" + index));
        }
      });
    });
    row.querySelectorAll("label .visually-hidden").forEach(function (number) {
      number.textContent = " " + String(index + 1);
    });
  }

  function addRow(fieldset) {
    var list = fieldset.querySelector("ol.rows");
    var rows = list.querySelectorAll(":scope > li.row");
    if (!rows.length) { return false; }
    var row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
      el.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    renumber(row, rows.length);
    list.appendChild(row);
    var count = fieldset.querySelector('input[name^="rijen."]');
    if (count) { count.value = String(rows.length + 1); }
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
    return true;
  }

  document.querySelectorAll("form.record-form").forEach(function (form) {
    form.querySelectorAll("button.more").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (addRow(button.closest("fieldset"))) { event.preventDefault(); }
      });
    });
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key === "Enter" && target.tagName === "INPUT" && target.type !== "checkbox") {
        var save = form.querySelector("button.save");
        if (save && form.requestSubmit) {
          event.preventDefault();
          form.requestSubmit(save);
        }
      }
    });
  });

  var focus = document.getElementById("conflict") || document.getElementById("fouten") ||
    document.getElementById("voorbeeld");
  if (focus) { focus.focus(); }
})();
