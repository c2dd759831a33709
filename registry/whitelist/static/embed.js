/* Witte lijst digitale leermiddelen: the allowed tools on a school's own website.
 *
 *   <div data-witte-lijst data-niveau="PO" data-categorie="practice" data-bestuur="99001">
 *     <a href="https://…/embed?niveau=PO">Toegestane tools</a>
 *   </div>
 *   <script src="https://…/static/embed.js" defer></script>
 *
 * Reads /api/embed/tools from the server this script came from and writes a plain list
 * into every [data-witte-lijst] element, with text nodes only (no HTML from the feed).
 * No cookies, no other requests, no dependencies; the school's own CSS styles it
 * (classes witte-lijst-*). If anything fails, the link in the element stays.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var base = script.src;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function link(href, text) {
    var a = el("a", null, text);
    a.href = new URL(href, base).href;
    return a;
  }

  var MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                "september", "oktober", "november", "december"];

  function dutchDate(iso) {  /* "2026-11-28T…" → "28 november 2026" */
    var parts = iso.slice(0, 10).split("-");
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  function render(container, feed) {
    var list = el("ul", "witte-lijst-tools");
    feed.tools.forEach(function (tool) {
      var item = el("li", "witte-lijst-tool");
      item.appendChild(link(tool.link, tool.name));
      item.appendChild(document.createTextNode(" – "));
      item.appendChild(el("span", "witte-lijst-verdict witte-lijst-" + tool.verdict, tool.verdict_label));
      if (tool.warning) {  /* "Let op: dit oordeel verandert op …" */
        item.appendChild(el("p", "witte-lijst-warning", tool.warning));
      }
      if (tool.conditions.length) {
        var conditions = el("ul", "witte-lijst-conditions");
        tool.conditions.forEach(function (text) { conditions.appendChild(el("li", null, text)); });
        item.appendChild(conditions);
      }
      list.appendChild(item);
    });
    var source = el("p", "witte-lijst-source", "Bron: ");
    source.appendChild(link("/", "Witte lijst digitale leermiddelen"));
    source.appendChild(document.createTextNode(
      ", versie " + feed.publication.version + " van " + dutchDate(feed.publication.published_at) +
      ". Een advies aan schoolbesturen, geen juridisch advies."));
    container.textContent = "";
    if (feed.tools.length) {
      container.appendChild(list);
    } else {
      container.appendChild(el("p", null, "Er staan geen toegestane tools van deze soort op de lijst."));
    }
    container.appendChild(source);
  }

  function load(container) {
    var url = new URL("/api/embed/tools", base);
    var level = container.getAttribute("data-niveau");
    var category = container.getAttribute("data-categorie");
    var board = container.getAttribute("data-bestuur");
    if (level) { url.searchParams.set("level", level.toUpperCase()); }
    if (category) { url.searchParams.set("category", category); }
    if (board) { url.searchParams.set("bestuur", board); }
    container.setAttribute("aria-busy", "true");
    fetch(url.href, { credentials: "omit", referrerPolicy: "no-referrer" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (feed) { render(container, feed); })
      .catch(function () { /* keep the link that was there */ })
      .then(function () { container.removeAttribute("aria-busy"); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-witte-lijst]"), load);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
