// Starts Swagger UI from the vendored bundle; kept out of the page so the CSP allows no inline script.
window.addEventListener("load", () => {
  const target = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: target.dataset.specUrl, dom_id: "#swagger-ui", deepLinking: true });
});
