// Inside a partner's iframe: tell the page around us how tall we are, so it can fit the frame
// to us (the partner's copy of embed.js listens), and that a new step of the journey has
// opened, so it can bring the frame's top into view. Only that is said, to whoever framed us.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = 0;
  function tell() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) { return; }
    last = height;
    window.parent.postMessage({ type: "action-embed:height", height: height }, "*");
  }
  if (window.ResizeObserver) { new ResizeObserver(tell).observe(document.documentElement); }
  window.addEventListener("load", function () {
    tell();
    window.parent.postMessage({ type: "action-embed:page" }, "*");
  });
  window.addEventListener("resize", tell);
  tell();
}());
