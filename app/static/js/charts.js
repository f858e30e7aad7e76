// Draws the charts of a page with Plotly. Each chart's figure comes from the server as
// JSON in <script type="application/json" id="…"> (data, not code, so the CSP allows
// it); this file only hands it over. The table beneath each chart is its text
// alternative, so the drawing itself is hidden from assistive technology.
(function () {
  "use strict";

  const config = {
    displayModeBar: false, // no toolbar: nothing to zoom or pan on these charts
    responsive: true,
    scrollZoom: false,
    doubleClick: false,
  };

  function draw(container) {
    const source = document.getElementById(container.getAttribute("data-chart"));
    if (!source) return;
    let figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      container.textContent = "";
      return; // the table beneath still holds the figures
    }
    container.replaceChildren(); // the spacer goes as the chart takes its place
    window.Plotly.newPlot(container, figure.data, figure.layout, config).then(() => {
      container.setAttribute("data-drawn", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.Plotly) return; // the tables still hold the figures
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
