/*
 * Draw every chart a page passed through Django's json_script.
 *
 * Each <div data-chart-json="ID"> names the <script type="application/json"
 * id="ID"> that holds {data, layout, config} from pages.charts.
 * figure_json(). Static and self-contained: no inline script, no request
 * beyond this file and plotly.min.js (served from the project's own static
 * files), so a strict Content Security Policy needs no exception.
 */
(function () {
  "use strict";

  var FAILED = "グラフを表示できませんでした。";

  function fail(element, message, error) {
    console.error("charts.js: " + message, error || "");
    element.classList.add("chart-failed");
    element.textContent = FAILED;
  }

  function drawChart(element) {
    var id = element.getAttribute("data-chart-json");
    var source = id ? document.getElementById(id) : null;
    if (!source) {
      fail(element, "no chart data with id " + JSON.stringify(id));
      return;
    }
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      fail(element, "chart data " + id + " is not valid JSON", error);
      return;
    }
    try {
      var drawn = window.Plotly.newPlot(
        element, figure.data || [], figure.layout || {}, figure.config || {}
      );
      if (drawn && typeof drawn.catch === "function") {
        drawn.catch(function (error) {
          fail(element, "Plotly could not draw " + id, error);
        });
      }
    } catch (error) {
      fail(element, "Plotly could not draw " + id, error);
    }
  }

  function drawCharts() {
    var elements = document.querySelectorAll("[data-chart-json]");
    if (elements.length === 0) {
      return;
    }
    if (typeof window.Plotly === "undefined" || !window.Plotly.newPlot) {
      Array.prototype.forEach.call(elements, function (element) {
        fail(element, "plotly.min.js is not loaded (run `manage.py copy_plotly_js`)");
      });
      return;
    }
    Array.prototype.forEach.call(elements, drawChart);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawCharts);
  } else {
    drawCharts();
  }
})();
