// Starts Swagger UI on /docs from the page's own data: where the schema is, and the
// session's CSRF token (on <body>, as htmx reads it) for any change tried from the page.
(function () {
  "use strict";
  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try {
      return headers ? JSON.parse(headers)["X-CSRF-Token"] : null;
    } catch (error) {
      return null;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var place = document.getElementById("api-docs");
    if (!place || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    place.textContent = "";
    window.SwaggerUIBundle({
      url: place.dataset.schema,
      domNode: place,
      deepLinking: true,
      tryItOutEnabled: false,
      requestInterceptor: function (request) {
        var token = csrfToken();
        if (token && request.method && request.method.toUpperCase() !== "GET") {
          request.headers["X-CSRF-Token"] = token;
        }
        return request;
      },
    });
  });
})();
