(function () {
  "use strict";
  var byId = function (id) { return document.getElementById(id); };
  var account = byId("f-account"), verdict = byId("f-verdict"), code = byId("f-code");
  var shown = byId("f-count");
  function has(list, value) { return (list || "").split(" ").indexOf(value) >= 0; }
  function apply() {
    var n = 0;
    var rows = document.querySelectorAll("#copies tbody tr");
    for (var i = 0; i < rows.length; i++) {
      var tr = rows[i];
      var ok = (!account.value || tr.getAttribute("data-src") === account.value ||
          tr.getAttribute("data-dst") === account.value) &&
        (!verdict.value || tr.getAttribute("data-verdict") === verdict.value) &&
        (!code.value || has(tr.getAttribute("data-codes"), code.value));
      tr.hidden = !ok;
      if (ok) { n++; }
    }
    if (shown) { shown.textContent = String(n); }
  }
  if (account && verdict && code) {
    account.addEventListener("change", apply);
    verdict.addEventListener("change", apply);
    code.addEventListener("change", apply);
    apply();
  }
  function openAll(open) {
    var all = document.querySelectorAll("details.finding");
    for (var i = 0; i < all.length; i++) { all[i].open = open; }
  }
  var expand = byId("expand-all"), collapse = byId("collapse-all");
  if (expand) { expand.addEventListener("click", function () { openAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { openAll(false); }); }
  // a click on an arrow or a lane filters the table to its copies' verdict or account
  var flows = document.querySelectorAll("svg .flow[data-verdict]");
  for (var j = 0; j < flows.length; j++) {
    flows[j].addEventListener("click", function (ev) {
      verdict.value = ev.currentTarget.getAttribute("data-verdict");
      apply();
      byId("copies").scrollIntoView();
    });
  }
})();
