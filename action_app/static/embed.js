// For partner sites: paste with the iframe (see the partner kit). Fits each of our iframes to
// its content. Only messages from our own origin, from that iframe's own window, are believed.
(function () {
  "use strict";
  var script = document.currentScript;
  var ours = script ? new URL(script.src).origin : null;
  window.addEventListener("message", function (event) {
    if (!ours || event.origin !== ours) { return; }
    var data = event.data;
    if (!data || data.type !== "action-embed:height" || typeof data.height !== "number") { return; }
    var frames = document.querySelectorAll("iframe[data-action-embed]");
    Array.prototype.forEach.call(frames, function (frame) {
      if (frame.contentWindow === event.source) {
        frame.style.height = Math.max(200, Math.min(data.height, 5000)) + "px";
      }
    });
  });
}());
