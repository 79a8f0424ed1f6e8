// The served portal's only script (no inline script: the Content Security Policy forbids it).
// Every page works without it; it adds what a person expects of a portal:
// 1. Enter in a text field presses the form's button marked data-default, not the first
//    button of the form (on Please Sign-In that would be "Register").
// 2. After a refused submit the focus moves to the message (role="alert").
// 3. A dropdown menu (<details class="dropdown">) closes on Escape, returning the focus
//    to its name, and when the focus or a click goes elsewhere.
"use strict";

for (const form of document.querySelectorAll("form")) {
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.target instanceof HTMLInputElement)) {
      return;
    }
    const button = form.querySelector("button[data-default]");
    if (button) {
      event.preventDefault();
      form.requestSubmit(button);
    }
  });
}

const messages = document.getElementById("messages");
if (messages) {
  messages.focus();
}

for (const dropdown of document.querySelectorAll("details.dropdown")) {
  const summary = dropdown.querySelector("summary");
  dropdown.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && dropdown.open) {
      dropdown.open = false;
      summary.focus();
    }
  });
  dropdown.addEventListener("focusout", (event) => {
    if (!dropdown.contains(event.relatedTarget)) {
      dropdown.open = false;
    }
  });
  document.addEventListener("click", (event) => {
    if (!dropdown.contains(event.target)) {
      dropdown.open = false;
    }
  });
}
