// For partner sites: paste with the iframe (see the partner kit). Fits each of our iframes to
// its content, and when the supporter moves on to the next step inside it, scrolls the frame's
// top back into view if it is above the window (the next page starts at its heading, not
// wherever the button was). Only messages from our own origin, from that iframe's own window,
// are believed.
(function () {
  "use strict";
  var script = document.currentScript;
  var ours = script ? new URL(script.src).origin : null;
  window.addEventListener("message", function (event) {
    if (!ours || event.origin !== ours) { return; }
    var data = event.data;
    if (!data || (data.type !== "action-embed:height" && data.type !== "action-embed:page")) { return; }
    if (data.type === "action-embed:height" && typeof data.height !== "number") { return; }
    var frames = document.querySelectorAll("iframe[data-action-embed]");
    Array.prototype.forEach.call(frames, function (frame) {
      if (frame.contentWindow !== event.source) { return; }
      if (data.type === "action-embed:height") {
        frame.style.height = Math.max(200, Math.min(data.height, 5000)) + "px";
      } else if (frame.getAttribute("data-action-embed-opened")) {
        if (frame.getBoundingClientRect().top < 0) { frame.scrollIntoView(); }
      } else {
        frame.setAttribute("data-action-embed-opened", "1"); // the first page: leave it be
      }
    });
  });
}());
