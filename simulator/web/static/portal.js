// The served portal's only script (no inline script: the Content Security Policy forbids it).
// 1. A <select data-submit-control="LABEL"> posts its form with control=LABEL when chosen.
// 2. Enter in a text field presses the form's button marked data-default, not the first
//    button of the form (on Please Sign-In that would be "Register").
"use strict";

for (const select of document.querySelectorAll("select[data-submit-control]")) {
  select.addEventListener("change", () => {
    if (!select.form || select.value === "") {
      return;
    }
    const control = document.createElement("input");
    control.type = "hidden";
    control.name = "control";
    control.value = select.dataset.submitControl;
    select.form.appendChild(control);
    select.form.submit();
  });
}

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
