/* topo's page: builds the vis network from the JSON data and wires the controls.
   Text from the data goes into the DOM through textContent only, never innerHTML. */
var network; // global, as on pyvis pages: scripts and tests drive it
var topo = (window.topo = { drawn: false, drawTime: null });
(function () {
  "use strict";
  var marks = (topo.marks = { start: performance.now() });
  var data = JSON.parse(document.getElementById("topo-data").textContent);
  marks.parsed = performance.now();
  topo.data = data;
  var styles = data.styles;
  var fixedShapes = { dot: 1, diamond: 1, triangle: 1, square: 1, hexagon: 1, box: 1 };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function darker(hex) {
    var n = parseInt(hex.slice(1), 16);
    var r = Math.round(((n >> 16) & 255) * 0.65), g = Math.round(((n >> 8) & 255) * 0.65), b = Math.round((n & 255) * 0.65);
    return "#" + ((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1);
  }

  /* one vis group per style key: per-node colour and font objects cost seconds at 10k+ */
  function groupOptions(key) {
    var style = styles[key] || { colour: "#999999", shape: "dot" };
    var shape = fixedShapes[style.shape] ? style.shape : "dot";
    var group = {
      shape: shape,
      color: { background: style.colour, border: darker(style.colour),
               highlight: { background: style.colour, border: "#000000" },
               hover: { background: style.colour, border: "#000000" } },
    };
    if (shape === "box") group.font = { color: key === "endpoint" ? "#ffffff" : "#1b2631" };
    if (shape === "box") group.margin = 8;
    if (key === "unknown") group.size = 7;
    return group;
  }
  function visNode(n) {
    var node = { id: n.id, x: n.x, y: n.y, label: n.label, group: n.k };
    if (n.shape && fixedShapes[n.shape]) node.shape = n.shape;
    if (n.dashed) { node.shapeProperties = { borderDashes: [5, 4] }; node.borderWidth = 2; }
    return node;
  }

  function visEdge(e) {
    var edge = { id: e.id, from: e.from, to: e.to };
    if (e.seg) { edge.color = { color: "#8e44ad", highlight: "#4a235a" }; edge.width = 3; }
    if (e.dashes) edge.dashes = [6, 5];
    return edge;
  }

  var nodes = new vis.DataSet(data.nodes.map(visNode));
  var edges = new vis.DataSet(data.edges.map(visEdge));
  marks.datasets = performance.now();
  var container = document.getElementById("mynetwork");
  var options = data.options;
  options.groups = {};
  Object.keys(styles).forEach(function (key) { options.groups[key] = groupOptions(key); });
  network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  marks.network = performance.now();
  topo.network = network;
  topo.nodes = nodes;
  topo.edges = edges;
  /* fit the nodes and the boxes, bands and their labels (vis's fit() sees nodes only) */
  topo.fitAll = function () {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    function take(a, b, c, d) { x0 = Math.min(x0, a); y0 = Math.min(y0, b); x1 = Math.max(x1, c); y1 = Math.max(y1, d); }
    data.nodes.forEach(function (n) { take(n.x - 60, n.y - 30, n.x + 60, n.y + 40); });
    data.boxes.forEach(function (b) { take(b.x0, b.y0, b.x1, b.y1); });
    data.bands.forEach(function (b) { take(b.x0, b.y0 - 60, Math.max(b.x1, b.x0 + 11 * (b.summary[0] || "").length), b.y1); });
    if (x0 === Infinity) return;
    network.setSize("100%", "100%"); // vis re-reads the container's size (the header may have changed it)
    var w = container.clientWidth || 800, h = container.clientHeight || 600;
    var scale = Math.min(w / (x1 - x0), h / (y1 - y0)) * 0.96;
    network.moveTo({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, scale: Math.min(scale, 1.5), animation: false });
  };
  if (!(options.physics && options.physics.enabled)) topo.fitAll();
  network.once("afterDrawing", function () {
    topo.drawn = true;
    topo.drawTime = marks.drawn = performance.now();
    document.body.setAttribute("data-drawn", "1");
  });

  /* ---- region boxes and segment bands, drawn behind the nodes ---- */
  var physicsOn = !!(options.physics && options.physics.enabled);
  function boxBounds(box, px, py) {
    if (!physicsOn || !box.members) return box;
    var pos = network.getPositions(box.members), x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    Object.keys(pos).forEach(function (k) {
      x0 = Math.min(x0, pos[k].x); y0 = Math.min(y0, pos[k].y);
      x1 = Math.max(x1, pos[k].x); y1 = Math.max(y1, pos[k].y);
    });
    if (x0 === Infinity) return box;
    return { x0: x0 - px, y0: y0 - py * 1.5, x1: x1 + px, y1: y1 + py };
  }
  function roundRect(ctx, x0, y0, x1, y1, r) {
    ctx.beginPath();
    ctx.moveTo(x0 + r, y0); ctx.lineTo(x1 - r, y0); ctx.quadraticCurveTo(x1, y0, x1, y0 + r);
    ctx.lineTo(x1, y1 - r); ctx.quadraticCurveTo(x1, y1, x1 - r, y1); ctx.lineTo(x0 + r, y1);
    ctx.quadraticCurveTo(x0, y1, x0, y1 - r); ctx.lineTo(x0, y0 + r); ctx.quadraticCurveTo(x0, y0, x0 + r, y0);
    ctx.closePath();
  }
  network.on("beforeDrawing", function (ctx) {
    ctx.save();
    data.boxes.forEach(function (box) {
      var b = boxBounds(box, 60, 45);
      roundRect(ctx, b.x0, b.y0, b.x1, b.y1, 14);
      ctx.fillStyle = "rgba(52, 152, 219, 0.08)"; ctx.fill();
      ctx.lineWidth = 2; ctx.strokeStyle = "#5dade2"; ctx.setLineDash([]); ctx.stroke();
      ctx.fillStyle = "#1a5276"; ctx.font = "bold 24px sans-serif"; ctx.textBaseline = "top";
      ctx.fillText(box.label, b.x0 + 12, b.y0 + 8);
    });
    data.bands.forEach(function (band) {
      var b = boxBounds(band, 50, 40);
      roundRect(ctx, b.x0, b.y0, b.x1, b.y1, 10);
      ctx.fillStyle = "rgba(142, 68, 173, 0.12)"; ctx.fill();
      ctx.lineWidth = 2; ctx.strokeStyle = "#8e44ad"; ctx.setLineDash([8, 6]); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#4a235a"; ctx.textBaseline = "bottom";
      ctx.font = "bold 22px sans-serif";
      ctx.fillText(band.label, b.x0 + 8, b.y0 - 30);
      ctx.font = "19px sans-serif";
      (band.summary || []).forEach(function (line, i) { ctx.fillText(line, b.x0 + 8, b.y0 - 6 + 24 * i); });
    });
    ctx.restore();
  });

  /* ---- tooltips: DOM text built from the data ---- */
  var tooltip = document.getElementById("tooltip");
  function table(rows) {
    var t = el("table");
    rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", row[0]));
      tr.appendChild(el("td", row[1]));
      t.appendChild(tr);
    });
    return t;
  }
  topo.tooltipFor = function (id) { return table(data.info[id] || []); };
  topo.edgeTooltipFor = function (id) { return table(data.edge_info[id] || []); };
  function showTip(content, params) {
    tooltip.textContent = "";
    tooltip.appendChild(content);
    var rect = container.getBoundingClientRect();
    var p = params.pointer && params.pointer.DOM ? params.pointer.DOM : { x: 0, y: 0 };
    tooltip.style.left = Math.min(rect.left + p.x + 14, window.innerWidth - 470) + "px";
    tooltip.style.top = (rect.top + p.y + 14) + "px";
    tooltip.style.display = "block";
  }
  function hideTip() { tooltip.style.display = "none"; }
  network.on("hoverNode", function (p) { showTip(topo.tooltipFor(p.node), p); });
  network.on("hoverEdge", function (p) { showTip(topo.edgeTooltipFor(p.edge), p); });
  network.on("blurNode", hideTip);
  network.on("blurEdge", hideTip);
  network.on("dragStart", hideTip);
  network.on("zoom", hideTip);

  /* ---- which traces pass each node ---- */
  var nodeTraces = null;
  function tracesOf(id) {
    if (nodeTraces === null) {
      nodeTraces = data.nodes.map(function () { return []; });
      data.traces.forEach(function (trace, t) {
        trace.path.forEach(function (n) { var list = nodeTraces[n]; if (list[list.length - 1] !== t) list.push(t); });
      });
    }
    return nodeTraces[id] || [];
  }
  topo.tracesOf = tracesOf;

  /* ---- visibility: category toggles and trace toggles ---- */
  var categoryOn = {};
  data.legend.forEach(function (e) { categoryOn[e.key] = true; });
  var traceOn = data.traces.map(function () { return true; });
  var hidden = data.nodes.map(function () { return false; });
  function applyVisibility() {
    var changes = [];
    var anyTraceOff = traceOn.indexOf(false) >= 0;
    data.nodes.forEach(function (n, i) {
      var visible = categoryOn[n.k] !== false;
      if (visible && anyTraceOff) {
        var ts = tracesOf(i);
        visible = ts.length === 0 || ts.some(function (t) { return traceOn[t]; });
      }
      if (hidden[i] === visible) { hidden[i] = !visible; changes.push({ id: i, hidden: !visible }); }
    });
    if (changes.length) nodes.update(changes);
  }
  topo.setCategory = function (key, on) { categoryOn[key] = !!on; applyVisibility(); };
  topo.setTrace = function (index, on) { traceOn[index] = !!on; applyVisibility(); };
  topo.hiddenNodes = function () { return hidden.reduce(function (a, h, i) { if (h) a.push(i); return a; }, []); };

  /* ---- highlight: traces through a node, or one trace's path ---- */
  var dimmed = false;
  var selectionBox = document.getElementById("selection");
  topo.highlighted = null;
  function highlight(traceList, title) {
    var inSet = {}, nodeIds = [], edgeIds = [], chosen = {};
    traceList.forEach(function (t) {
      chosen[t] = true;
      data.traces[t].path.forEach(function (n) { if (!inSet[n]) { inSet[n] = true; nodeIds.push(n); } });
    });
    data.edges.forEach(function (e) {
      if (!inSet[e.from] || !inSet[e.to]) return;
      if (!e.all || e.t.some(function (t) { return chosen[t]; })) edgeIds.push(e.id);
    });
    network.setSelection({ nodes: nodeIds, edges: edgeIds }, { unselectAll: true, highlightEdges: false });
    if (data.nodes.length <= 5000) {
      var edgeSet = {};
      edgeIds.forEach(function (id) { edgeSet[id] = true; });
      nodes.update(data.nodes.map(function (n) { return { id: n.id, opacity: inSet[n.id] ? 1 : 0.2 }; }));
      edges.update(data.edges.map(function (e) {
        return { id: e.id, color: edgeSet[e.id] ? visEdge(e).color || { color: "#1f3a93" } : { color: "#e5e8e8" } };
      }));
      dimmed = true;
    }
    topo.highlighted = { traces: traceList.slice(), nodes: nodeIds, edges: edgeIds };
    selectionBox.textContent = "";
    selectionBox.appendChild(el("div", title));
    var list = el("ul");
    traceList.slice(0, 200).forEach(function (t) {
      var li = el("li");
      var button = el("button", data.traces[t].id + " (" + data.traces[t].verdict + ")");
      button.type = "button";
      button.addEventListener("click", function () { topo.highlightTrace(t); });
      li.appendChild(button);
      list.appendChild(li);
    });
    selectionBox.appendChild(list);
    document.querySelectorAll(".trace-row").forEach(function (row) {
      row.classList.toggle("active", !!chosen[Number(row.getAttribute("data-trace"))]);
    });
    return topo.highlighted;
  }
  topo.highlightNode = function (id) {
    var ts = tracesOf(id);
    var label = data.nodes[id] ? data.nodes[id].label : String(id);
    return highlight(ts, ts.length + " trace" + (ts.length === 1 ? "" : "s") + " through " + label + ":");
  };
  topo.highlightTrace = function (t) { return highlight([t], "Path of " + data.traces[t].id + ":"); };
  topo.clearHighlight = function () {
    network.unselectAll();
    if (dimmed) {
      nodes.update(data.nodes.map(function (n) { return { id: n.id, opacity: 1 }; }));
      edges.update(data.edges.map(function (e) { return { id: e.id, color: visEdge(e).color || null }; }));
      dimmed = false;
    }
    topo.highlighted = null;
    selectionBox.textContent = "Click a node to highlight every trace through it.";
    document.querySelectorAll(".trace-row.active").forEach(function (row) { row.classList.remove("active"); });
  };
  network.on("click", function (params) {
    if (params.nodes.length) topo.highlightNode(params.nodes[0]);
    else if (!params.edges.length) topo.clearHighlight();
  });

  /* ---- search ---- */
  var searchBox = document.getElementById("search");
  var searchResult = document.getElementById("search-result");
  topo.search = function (query) {
    var q = String(query || "").trim().toLowerCase();
    if (!q) { searchResult.textContent = ""; network.unselectAll(); return []; }
    var found = [];
    data.search.forEach(function (text, i) { if (text.indexOf(q) >= 0 && !hidden[i]) found.push(i); });
    searchResult.textContent = found.length ? found.length + " found" + (found.length > 500 ? " (first 500 selected)" : "") : "nothing found";
    if (found.length) {
      network.selectNodes(found.slice(0, 500), false);
      network.focus(found[0], { scale: Math.max(network.getScale(), 0.9), animation: false });
    } else {
      network.unselectAll();
    }
    return found;
  };
  var searchTimer = null;
  searchBox.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { topo.search(searchBox.value); }, 200);
  });
  searchBox.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { clearTimeout(searchTimer); topo.search(searchBox.value); }
  });

  /* ---- legend with category toggles ---- */
  var legendBox = document.getElementById("legend");
  data.legend.forEach(function (entry) {
    var row = el("label", null, "legend-row");
    var box = el("input"); box.type = "checkbox"; box.checked = true;
    box.setAttribute("data-category", entry.key);
    box.addEventListener("change", function () { topo.setCategory(entry.key, box.checked); });
    var swatch = el("span", null, "swatch " + (fixedShapes[entry.shape] ? entry.shape : "dot"));
    swatch.style.background = entry.colour;
    row.appendChild(box); row.appendChild(swatch); row.appendChild(el("span", entry.label));
    row.appendChild(el("span", entry.count, "count"));
    legendBox.appendChild(row);
  });
  if (data.boxes.length) {
    var regionRow = el("div", null, "legend-row");
    regionRow.appendChild(el("span", null, "swatch region-swatch"));
    regionRow.appendChild(el("span", "region (published ranges, manifest)"));
    legendBox.appendChild(regionRow);
  }
  if (data.bands.length) {
    var bandRow = el("div", null, "legend-row");
    bandRow.appendChild(el("span", null, "swatch band-swatch"));
    bandRow.appendChild(el("span", "interconnect segment"));
    legendBox.appendChild(bandRow);
  }

  /* ---- physics toggle (small graphs only) ---- */
  var physicsBox = document.getElementById("physics");
  document.getElementById("physics-max").textContent = String(data.physics_max);
  physicsBox.checked = physicsOn;
  physicsBox.disabled = data.nodes.length > data.physics_max;
  physicsBox.addEventListener("change", function () {
    physicsOn = physicsBox.checked;
    network.setOptions({ physics: { enabled: physicsOn } });
    if (!physicsOn) network.redraw();
  });

  /* ---- the trace list ---- */
  var traceBox = document.getElementById("traces");
  data.traces.slice(0, 500).forEach(function (trace, t) {
    var row = el("div", null, "trace-row");
    row.setAttribute("data-trace", String(t));
    var box = el("input"); box.type = "checkbox"; box.checked = true;
    box.addEventListener("change", function () { topo.setTrace(t, box.checked); });
    var button = el("button", trace.id + (trace.verdict ? " · " + trace.verdict : ""));
    button.type = "button";
    button.addEventListener("click", function () { topo.highlightTrace(t); });
    row.appendChild(box); row.appendChild(button);
    traceBox.appendChild(row);
  });
  if (data.traces.length > 500) traceBox.appendChild(el("div", "… first 500 of " + data.traces.length + " traces listed", "muted"));
})();
