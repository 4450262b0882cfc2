// Fleet-size reports: draw a cluster's constraint matrix from the embedded dataset (#matrix-data, layout in
// evaluator/reporting/dataset.py) when the reader opens it. Builds the same elements as _matrix_cluster.html,
// with text nodes only (no markup from data). Plain JavaScript, no network.
(function () {
  "use strict";
  var holder = document.getElementById("matrix-data");
  var detail = document.querySelector("[data-matrix-detail]");
  if (!holder || !detail) return;
  var data = JSON.parse(holder.textContent);
  var S = data.strings;
  var byAnchor = {};
  data.clusters.forEach(function (c, i) { byAnchor[S[c.anchor]] = i; });

  function str(i) { return i < 0 ? "" : S[i]; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === "") return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function badge(index) {
    var status = data.statuses[index];
    return el("span", { "class": "badge s-" + status }, [data.labels[status]]);
  }

  function cell(row, c) {
    if (c === 0) return el("td", { "class": "cell", "data-sort": "-2" }, [el("span", { "class": "muted" }, ["not scored"])]);
    var status = data.statuses[c[0]];
    var attrs = { "class": "cell", "data-sort": String(status === "unknown" ? -1 : c[0]) };
    if (status !== "ok" && c[6] >= 0) attrs.title = S[c[6]];
    var lim = el("span", { "class": "lim" }, ["limit " + str(c[1])]);
    if (c[2] >= 0) { lim.appendChild(document.createTextNode(" ")); lim.appendChild(el("span", { "class": "kind" }, [S[c[2]]])); }
    var parts = [badge(c[0])];
    if (c[5] >= 0) parts.push(el("span", { "class": "obs" }, [S[c[5]]]));
    parts.push(lim);
    if (c[3] !== null) {
      var fill = el("span", { "class": "hb-" + status });
      fill.style.width = c[3] + "%";
      parts.push(el("span", { "class": "hb" }, [fill]));
      parts.push(el("span", { "class": "hb-n" }, [str(c[4])]));
    }
    if (c[7]) { parts.push(" "); parts.push(el("a", { "class": "src", href: "#src-" + c[7] }, ["[" + c[7] + "]"])); }
    return el("td", attrs, parts);
  }

  function render(index) {
    var c = data.clusters[index];
    var name = S[c.name], anchor = S[c.anchor];
    var section = el("section", { "class": "cluster", id: anchor, "aria-labelledby": anchor + "-h" }, [
      el("h3", { id: anchor + "-h" }, [name + " ", badge(c.worst)])
    ]);
    if (c.info.length) {
      section.appendChild(el("dl", { "class": "facts" }, c.info.map(function (i) {
        return el("div", {}, [el("dt", {}, [S[i[0]]]), el("dd", {}, [S[i[1]]])]);
      })));
    }
    section.appendChild(el("ul", { "class": "inline verdicts" }, c.verdicts.map(function (v) {
      var reason = v[3] >= 0 ? [" ", el("span", { "class": "muted" }, [S[v[3]]])] : [];
      return el("li", {}, [S[v[0]] + ": ", el("span", { "class": "verdict v-" + v[2] }, [S[v[1]]])].concat(reason));
    })));
    if (!c.rows.length) {
      section.appendChild(el("p", { "class": "muted" }, ["No findings for this cluster."]));
      return section;
    }
    var head = el("tr", {}, [el("th", { scope: "col" }, ["Constraint"]), el("th", { scope: "col" }, ["Category"]),
      el("th", { scope: "col", "class": "n" }, ["Observed"])].concat(data.targets.map(function (t) {
      return el("th", { scope: "col" }, [t]);
    })));
    var body = el("tbody", {}, c.rows.map(function (r) {
      var k = data.constraints[r[0]];
      var tr = el("tr", { id: anchor + "-" + k[1], "data-statuses": S[r[3]], "data-cluster": name }, [
        el("th", { scope: "row" }, [k[2], el("span", { "class": "cid" }, [k[0]])]),
        el("td", {}, [k[3]]),
        el("td", { "class": "n", "data-sort": r[2] }, [S[r[1]]])
      ].concat(r[6].map(function (c6) { return cell(r, c6); })));
      tr.style.setProperty("--w", r[4] + "%");
      tr.style.setProperty("--r", r[5] + "%");
      return tr;
    }));
    var table = el("table", { "class": "data matrix sortable filterable", "data-group": "matrix" }, [
      el("caption", { "class": "sr" }, ["Constraints of " + name + " per target"]), el("thead", {}, [head]), body
    ]);
    section.appendChild(el("div", { "class": "scroll" }, [table]));
    return section;
  }

  function open(anchor) {
    var index = byAnchor[anchor];
    if (index === undefined) return null;
    var section = document.getElementById(anchor);
    if (!section) {
      section = render(index);
      detail.appendChild(section);
      var api = window.k8sevalReport;
      if (api) { api.sortable(section.querySelector("table.sortable")); api.refilter(); }
    }
    return section;
  }

  // A link to a cluster ("#c-prod") or to one of its rows ("#c-prod-etcd_db_size") opens that cluster.
  function fromHash() {
    var wanted = decodeURIComponent(location.hash.slice(1));
    if (!wanted) return false;
    var cluster = byAnchor[wanted] !== undefined ? wanted : null;
    for (var i = 0; cluster === null && i < data.constraints.length; i++) {
      var tail = "-" + data.constraints[i][1];
      var head = wanted.slice(0, wanted.length - tail.length);
      if (wanted.slice(-tail.length) === tail && byAnchor[head] !== undefined) cluster = head;
    }
    if (cluster === null || !open(cluster)) return false;
    var node = document.getElementById(wanted);
    if (node) node.scrollIntoView();
    return true;
  }

  var picker = document.querySelector("[data-matrix-picker]");
  var select = picker && picker.querySelector("[data-matrix-select]");
  if (select) {
    select.addEventListener("change", function () { location.hash = select.value; });
    picker.hidden = false;
  }
  window.addEventListener("hashchange", fromHash);
  if (!fromHash() && data.clusters.length) open(S[data.clusters[0].anchor]);
})();
