/*
 * The "select all" box of django-import-export's export page.
 *
 * The original template calls onSelectToggleChange (from import-export's
 * export_selectable_fields.js) in an inline onchange="" attribute, which the
 * Content Security Policy (script-src 'self', ise_iga_dx/security.py)
 * refuses. templates/admin/import_export/export.html drops the attribute;
 * this binds the same function as an ordinary listener.
 */
(function () {
  "use strict";

  var toggles = document.querySelectorAll("input.select-toggle");
  if (toggles.length && typeof window.onSelectToggleChange !== "function") {
    console.error("export_select_all.js: onSelectToggleChange is not loaded");
    return;
  }
  Array.prototype.forEach.call(toggles, function (toggle) {
    toggle.addEventListener("change", window.onSelectToggleChange);
  });
})();
