// Search and filters of the neardup HTML report (included by src/report/html.rs).
//
// Reads everything from the page itself: each cluster is a <details class="cl"> with
// data-id, data-kind, data-scope, data-size and data-bp attributes, its paragraphs in
// td.text cells and its places in td.path cells. Corpus text never passes through this
// script as code or markup: it is read with textContent and compared as strings. Filtering
// only toggles the `hidden` property of clusters whose state changes; the text index is
// built once, on the first search. Without JavaScript the form stays hidden and the page
// reads as before.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var count = document.getElementById("count");
  if (!form || !count) return;
  var items = Array.prototype.slice.call(document.querySelectorAll("details.cl"));
  var lists = Array.prototype.slice.call(document.querySelectorAll("div.cl-list"));
  var n = items.length;
  var kinds = new Array(n), scopes = new Array(n), bps = new Array(n), ids = new Array(n);
  var sizes = new Array(n), shown = new Array(n);
  for (var i = 0; i < n; i++) {
    var d = items[i].dataset;
    kinds[i] = d.kind;
    scopes[i] = d.scope;
    bps[i] = d.bp;
    ids[i] = +d.id;
    sizes[i] = +d.size;
    items[i].neardupIndex = i;
    shown[i] = !items[i].hidden;
  }
  var texts = null, paths = null;
  var f = form.elements;

  // Case, runs of spaces, Arabic diacritics (harakat, Quranic marks) and tatweel do not
  // matter to a search, as they do not to the engine: "يوميا" finds "يوميًّا".
  var marks = /[\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06ED]/g;
  function norm(s) {
    return s.replace(marks, "").replace(/\s+/g, " ").trim().toLowerCase();
  }
  // A member's own text: the diff against the representative keeps the representative's
  // deleted words in <del>, which are not part of the member.
  function ownText(cell) {
    var s = "";
    for (var c = cell.firstChild; c; c = c.nextSibling) {
      if (c.nodeName !== "DEL") s += c.textContent;
    }
    return s;
  }
  function buildIndex() {
    texts = new Array(n);
    paths = new Array(n);
    for (var i = 0; i < n; i++) {
      var t = [], p = [], j;
      var cells = items[i].querySelectorAll("td.text");
      for (j = 0; j < cells.length; j++) t.push(norm(ownText(cells[j])));
      cells = items[i].querySelectorAll("td.path");
      for (j = 0; j < cells.length; j++) p.push(cells[j].textContent.toLowerCase());
      // Newlines keep a phrase from matching across two paragraphs or two paths.
      texts[i] = "\n" + t.join("\n") + "\n";
      paths[i] = "\n" + p.join("\n") + "\n";
    }
  }

  function apply() {
    var q = norm(f.q.value), p = f.path.value.trim().toLowerCase();
    var kind = f.kind.value, scope = f.scope.value, bp = f.bp.value;
    if ((q || p) && !texts) buildIndex();
    var visible = 0;
    for (var i = 0; i < n; i++) {
      var ok = (!kind || kinds[i] === kind) && (!scope || scopes[i] === scope) &&
        (!bp || bps[i] === bp) && (!q || texts[i].indexOf(q) >= 0) &&
        (!p || paths[i].indexOf(p) >= 0);
      if (ok !== shown[i]) {
        shown[i] = ok;
        items[i].hidden = !ok;
      }
      if (ok) visible++;
    }
    var all = +form.getAttribute("data-in-report");
    count.textContent = visible + " of " + n + " clusters shown" + (all > n ?
      " (the page holds " + n + " of the report's " + all + "; --format json lists all)" : "");
    count.setAttribute("data-shown", String(visible));
    count.setAttribute("data-total", String(n));
    count.setAttribute("data-q", f.q.value);
  }

  function bySize(a, b) {
    var x = a.neardupIndex, y = b.neardupIndex;
    return sizes[y] - sizes[x] || ids[x] - ids[y];
  }
  function byFirst(a, b) {
    return ids[a.neardupIndex] - ids[b.neardupIndex];
  }
  function reorder() {
    var cmp = f.sort.value === "first" ? byFirst : bySize;
    for (var l = 0; l < lists.length; l++) {
      var els = Array.prototype.slice.call(lists[l].children).sort(cmp);
      var frag = document.createDocumentFragment();
      for (var k = 0; k < els.length; k++) frag.appendChild(els[k]);
      lists[l].appendChild(frag);
    }
    form.setAttribute("data-sorted", f.sort.value);
  }

  var timer = 0;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  }
  f.q.addEventListener("input", later);
  f.path.addEventListener("input", later);
  f.kind.addEventListener("change", apply);
  f.scope.addEventListener("change", apply);
  f.bp.addEventListener("change", apply);
  f.sort.addEventListener("change", reorder);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    apply();
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target && e.target.nodeName;
    if (e.key === "/" && t !== "INPUT" && t !== "SELECT" && t !== "TEXTAREA") {
      e.preventDefault();
      f.q.focus();
    }
  });
  // A reload may keep the form's values: show what they select.
  apply();
  if (f.sort.value !== "size") reorder();
  form.hidden = false;
  document.documentElement.setAttribute("data-filters", "ready");
})();
