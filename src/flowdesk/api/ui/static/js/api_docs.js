// Starts the vendored swagger-ui on /api/docs; a file of its own because the page's CSP allows
// no inline script.
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: true });
})();
