// The search box: shows only the entries whose text holds every word typed (any case),
// opening the collapsed parts; a link into a collapsed part opens it (and its file).
"use strict";
(function () {
  function reveal(id) {
    const target = document.getElementById(id);
    if (!target) return;
    for (let d = target.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
    const part = target.querySelector(":scope > details.part");
    if (part) part.open = true;
    target.scrollIntoView();
  }
  function revealHash() {
    if (location.hash.length > 1 && !location.hash.startsWith("#q=")) {
      reveal(decodeURIComponent(location.hash.slice(1)));
    }
  }
  window.addEventListener("hashchange", revealHash);
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    const href = link && (link.getAttribute("href") || link.getAttribute("xlink:href"));
    // a second click on the same link changes no hash: reveal its target all the same
    if (href && href === location.hash) reveal(decodeURIComponent(href.slice(1)));
  });
  revealHash();
  const parts = Array.from(document.querySelectorAll("details.part"));
  const box = document.getElementById("search");
  const status = document.getElementById("search-status");
  const entries = Array.from(document.querySelectorAll("[data-search]"));
  const texts = entries.map((entry) => entry.textContent.toLowerCase());
  function filter() {
    const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length) parts.forEach((part) => { part.open = true; });
    let shown = 0;
    entries.forEach((entry, index) => {
      const match = words.every((word) => texts[index].includes(word));
      entry.hidden = !match;
      if (match) shown += 1;
    });
    status.textContent = words.length ? `${shown} of ${entries.length} entries match` : "";
  }
  box.addEventListener("input", filter);
  if (location.hash.startsWith("#q=")) {
    box.value = decodeURIComponent(location.hash.slice(3));
    filter();
  }
})();
