// The search box: shows only the entries whose text holds every word typed (any case).
"use strict";
(function () {
  const box = document.getElementById("search");
  const status = document.getElementById("search-status");
  const entries = Array.from(document.querySelectorAll("[data-search]"));
  const texts = entries.map((entry) => entry.textContent.toLowerCase());
  function filter() {
    const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
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
