// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Selects marked data-autosubmit submit their form on change (the overview period picker).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // On the import page, show only the canonical fields of the chosen record kind.
  const kindSelect = document.querySelector("select[data-fields-for]");
  if (kindSelect) {
    const sync = () => {
      document.querySelectorAll(".field-list[data-kind]").forEach((p) => {
        p.hidden = p.dataset.kind !== kindSelect.value;
      });
    };
    kindSelect.addEventListener("change", sync);
    sync();
  }
});
