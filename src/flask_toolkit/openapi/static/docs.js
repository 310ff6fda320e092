// Start Swagger UI on the document named by #swagger-ui's data-spec-url.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var csrf = root.getAttribute("data-csrf");
  var safe = { GET: true, HEAD: true, OPTIONS: true };
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Calls made from the page are same-origin: the session cookie goes along.
    withCredentials: true,
    persistAuthorization: false,
    // Writes authenticated by the session cookie must carry the CSRF token.
    requestInterceptor: function (request) {
      if (csrf && !safe[(request.method || "GET").toUpperCase()]) {
        request.headers["X-CSRFToken"] = csrf;
      }
      return request;
    }
  });
})();
