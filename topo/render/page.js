/* topo's page: the region map, one readable level at a time.

   The layout comes from Python (topo/render/layout.py): every router has a fixed place
   inside its box, boxes and groups nest, and nothing here moves them (no physics, nodes
   cannot be dragged). What is drawn depends on the zoom: a box whose inside would be
   readable (labels >= 11 px) and that is on screen is *open* (its routers or groups are
   vis nodes, its frame is painted); any other box is a *card* (one vis node for clicks and
   edge ends, painted with its title and summary). Edges between what is shown are the
   routers' edges gathered per pair of shown things.

   Text from the data goes into the DOM through textContent only, never innerHTML. */
var network; // global, as on pyvis pages: scripts and tests drive it
var topo = (window.topo = { drawn: false, drawTime: null });
(function () {
  "use strict";
  var marks = (topo.marks = { start: performance.now() });
  var data = unpack(JSON.parse(document.getElementById("topo-data").textContent));
  marks.parsed = performance.now();

  /* The data comes packed (topo/render/packed.py): lists of records as tables (keys once,
     a row per record, null for a key a record lacks), details rows and search words as
     indexes into data.strings. This turns them back into the objects the page reads;
     routers' rows and search texts only when first asked for. */
  function unpack(packed) {
    var strings = packed.strings || [];
    function records(table) {
      if (!table || !table.keys) return table;
      var keys = table.keys;
      return table.rows.map(function (row) {
        var record = {};
        for (var k = 0; k < keys.length; k++) if (row[k] !== null) record[keys[k]] = row[k];
        return record;
      });
    }
    function rows(flat) {
      if (!flat || !flat.length || Array.isArray(flat[0])) return flat || [];
      var out = [];
      for (var i = 0; i < flat.length; i += 2) out.push([strings[flat[i]], strings[flat[i + 1]]]);
      return out;
    }
    ["nodes", "edges", "boxes", "links", "exits", "traces"].forEach(function (name) {
      packed[name] = records(packed[name]);
    });
    (packed.boxes || []).forEach(function (b) { b.info = rows(b.info); });
    function lazy(name, decode) {
      var raw = packed[name], value = null;
      Object.defineProperty(packed, name, {
        enumerable: true,
        get: function () { if (value === null) value = (raw || []).map(decode); return value; },
      });
    }
    lazy("info", rows);
    lazy("search", function (words) {
      return typeof words === "string" ? words : words.map(function (w) { return strings[w]; }).join(" ");
    });
    return packed;
  }
  topo.data = data;
  var styles = data.styles;
  var leaves = data.nodes;
  var links = data.edges;
  var boxes = data.boxes;
  var FONT = data.base_font || 17;
  var READ = 11; // px: the smallest label the page draws
  var TITLE_MAX = 28; // px: the largest a box's title (or an exit's label) is drawn
  var fixedShapes = { dot: 1, diamond: 1, triangle: 1, square: 1, hexagon: 1, box: 1 };
  var container = document.getElementById("mynetwork");
  var panel = document.getElementById("panel"); // on a phone: a bottom sheet over the canvas
  var panelToggle = document.getElementById("panel-toggle");

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
  function isBoxId(id) { return typeof id === "string" && id.charAt(0) === "b"; }
  function boxOf(id) { return Number(id.slice(1)); }

  /* ---- the tree of boxes (parents come before their children in data.boxes) ---- */
  var nb = boxes.length;
  var childBoxes = boxes.map(function () { return []; });
  var boxLeaves = boxes.map(function () { return []; });
  var roots = [], loose = [];
  boxes.forEach(function (b, i) { if (b.parent >= 0) childBoxes[b.parent].push(i); else roots.push(i); });
  leaves.forEach(function (n, i) { if (n.b >= 0) boxLeaves[n.b].push(i); else loose.push(i); });
  var open = new Uint8Array(nb);
  var cover = new Int32Array(nb); // the outermost closed box among a box and its ancestors, or -1
  function lineFont(b) { var B = boxes[b]; return B.lines_font || B.font * (data.summary_share || 0.9); }
  function ancestorOf(a, b) { for (var p = b; p >= 0; p = boxes[p].parent) if (p === a) return true; return false; }

  function rep(i) {
    var b = leaves[i].b;
    if (b < 0 || cover[b] < 0) return i;
    return "b" + cover[b];
  }
  topo.rep = rep;

  /* ---- vis nodes and edges of what is shown ---- */
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
    if (key === "unknown") group.size = 7;
    return group;
  }
  var hiddenLeaf = new Uint8Array(leaves.length);
  function leafNode(i) {
    var n = leaves[i], s = n.s || 1;
    var style = styles[n.k] || {};
    var node = { id: i, x: n.x, y: n.y, label: n.label, group: n.k, font: { size: FONT * s },
                 size: (n.k === "unknown" ? 7 : 13) * s, borderWidth: 1.5 * s, borderWidthSelected: 3 * s };
    if (style.shape === "box") node.margin = 8 * s;
    if (n.shape && fixedShapes[n.shape]) node.shape = n.shape;
    /* vis hangs a label under its symbol 4 canvas units down whatever the node's size; in a
       group drawn at 1/60 of the base size that gap is 15 labels high and the label lands
       among the next row. Scale the gap with the node: 4 * s. */
    if ((node.shape || style.shape) !== "box") node.font.vadjust = -4 * (1 - s);
    if (n.dashed) node.shapeProperties = { borderDashes: [5 * s, 4 * s] };
    if (hiddenLeaf[i]) node.hidden = true;
    return node;
  }
  var clear = "rgba(0,0,0,0)";
  function cardNode(b) {
    var B = boxes[b], w = B.x1 - B.x0, h = B.y1 - B.y0;
    return { id: "b" + b, x: (B.x0 + B.x1) / 2, y: (B.y0 + B.y1) / 2, shape: "box", label: " ",
             font: { size: 1 }, margin: 0.01, borderWidth: 0, borderWidthSelected: 0, chosen: false,
             widthConstraint: { minimum: w, maximum: w }, heightConstraint: { minimum: h },
             color: { background: clear, border: clear, highlight: { background: clear, border: clear },
                      hover: { background: clear, border: clear } } };
  }
  function unitOf(id) {
    if (!isBoxId(id)) return leaves[id].s || 1;
    return (boxes[boxOf(id)].font / FONT) * 1.6;
  }
  function labelUnit(id) { return isBoxId(id) ? lineFont(boxOf(id)) / FONT : leaves[id].s || 1; }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  /* Lines and arrowheads are sized in screen pixels: their natural size (proportional to
     the things they join) clamped to a band, so a zoom into a tiny group does not draw
     arrowheads bigger than the routers, and the overview does not draw hairlines. vis's
     arrowhead is 15 * scaleFactor + 3 * width canvas units long. */
  var EDGE_PX = { width: [0.9, 4], exitWidth: [1.8, 5], arrow: [6, 14], dash: [4, 10] };
  function edgeLook(g, unit, scale) {
    var natural = unit * (1.5 + Math.min(3, Math.log(g.n || 1) / Math.LN2 * 0.5)) * scale;
    var widthPx = g.exit ? clamp(natural * 1.8, EDGE_PX.exitWidth[0], EDGE_PX.exitWidth[1])
                         : clamp(natural, EDGE_PX.width[0], EDGE_PX.width[1]);
    var arrowPx = Math.max(clamp(unit * 12 * scale, EDGE_PX.arrow[0], EDGE_PX.arrow[1]), 3 * widthPx + 4);
    var dashPx = clamp(6 * unit * scale, EDGE_PX.dash[0], EDGE_PX.dash[1]);
    return { width: widthPx / scale, arrow: (arrowPx - 3 * widthPx) / (15 * scale),
             dashes: [dashPx / scale, dashPx * 5 / 6 / scale] };
  }
  var edgeScale = 1; // the zoom the shown edges were sized for
  function visEdge(g) {
    var unit = Math.min(unitOf(g.from), unitOf(g.to)), look = edgeLook(g, unit, edgeScale);
    var edge = { id: g.id, from: g.from, to: g.to, width: look.width, selectionWidth: look.width * 0.6,
                 arrows: { to: { enabled: true, scaleFactor: look.arrow } }, dashes: g.dashes ? look.dashes : false };
    if (g.seg) edge.color = { color: "#8e44ad", highlight: "#4a235a", hover: "#4a235a" };
    if (g.exit) {
      edge.color = { color: "#c0392b", highlight: "#7b241c", hover: "#7b241c" };
      var size = Math.min(FONT * Math.min(labelUnit(g.from), labelUnit(g.to)), TITLE_MAX * 0.8 / edgeScale);
      edge.label = g.exitCount > 1 ? "exit (" + g.exitCount + ")" : "exit";
      edge.font = { size: size, color: "#922b21", strokeWidth: size / 5, strokeColor: "#ffffff", align: "top", bold: true };
    }
    return edge;
  }
  topo.styleOfEdge = visEdge;

  var nodes = new vis.DataSet([]);
  var edges = new vis.DataSet([]);
  var shown = new Map(); // vis node id -> true
  var shownEdges = new Map(); // edge key -> gathered edge
  var options = data.options;
  options.groups = {};
  Object.keys(styles).forEach(function (key) { options.groups[key] = groupOptions(key); });
  network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  marks.network = performance.now();
  topo.network = network;
  topo.nodes = nodes;
  topo.edges = edges;

  function viewRect(margin) {
    var s = network.getScale(), c = network.getViewPosition();
    var w = (container.clientWidth || 800) / s, h = (container.clientHeight || 600) / s;
    var m = margin || 0;
    return { x0: c.x - w * (0.5 + m), x1: c.x + w * (0.5 + m), y0: c.y - h * (0.5 + m), y1: c.y + h * (0.5 + m) };
  }
  function meets(B, v) { return B.x0 < v.x1 && v.x0 < B.x1 && B.y0 < v.y1 && v.y0 < B.y1; }

  /* which boxes are open: readable and on screen (with a margin), parents first */
  function decide() {
    var s = network.getScale(), view = viewRect(0.3);
    for (var b = 0; b < nb; b++) {
      var B = boxes[b], p = B.parent;
      open[b] = (p < 0 || open[p]) && FONT * B.scale * s >= READ && meets(B, view) ? 1 : 0;
      cover[b] = p >= 0 && cover[p] >= 0 ? cover[p] : open[b] ? -1 : b;
    }
  }
  function gather() {
    var found = new Map();
    for (var j = 0; j < links.length; j++) {
      var e = links[j], a = rep(e.from), c = rep(e.to);
      if (a === c) continue;
      var key = a + ">" + c, g = found.get(key);
      if (!g) { g = { id: key, from: a, to: c, n: 0, seg: false, exit: null, exitCount: 0, dashes: true, members: [] }; found.set(key, g); }
      g.n += e.n || 1;
      if (e.seg) g.seg = true;
      if (e.exit) { g.exit = e.exit; g.exitCount += 1; }
      if (!e.dashes) g.dashes = false;
      if (g.members.length < 200) g.members.push(j);
    }
    return found;
  }
  var lastOpen = null;
  /* the edges already shown, resized for the zoom (when it moved by more than 10 %) */
  function restyleEdges() {
    var changes = [];
    shownEdges.forEach(function (g) {
      var e = visEdge(g);
      var change = { id: e.id, width: e.width, selectionWidth: e.selectionWidth, arrows: e.arrows, dashes: e.dashes };
      if (e.font) change.font = e.font;
      changes.push(change);
    });
    if (changes.length) edges.update(changes);
  }
  topo.relevel = function () {
    var t0 = performance.now();
    decide();
    var s = network.getScale(), resize = Math.abs(Math.log(s / edgeScale)) > 0.1;
    if (resize) edgeScale = s;
    var openNow = [];
    for (var b = 0; b < nb; b++) if (open[b]) openNow.push(b);
    openNow = openNow.join(",");
    if (openNow === lastOpen) { // the same level: nothing to add or remove
      if (resize) restyleEdges();
      topo.lastRelevel = performance.now() - t0;
      return { nodes: shown.size, edges: shownEdges.size, added: 0, removed: 0 };
    }
    lastOpen = openNow;
    var want = new Map(), add = [], remove = [];
    function walk(b) {
      if (!open[b]) { want.set("b" + b, true); return; }
      var ls = boxLeaves[b];
      for (var k = 0; k < ls.length; k++) want.set(ls[k], true);
      childBoxes[b].forEach(walk);
    }
    roots.forEach(walk);
    loose.forEach(function (i) { want.set(i, true); });
    shown.forEach(function (_, id) { if (!want.has(id)) remove.push(id); });
    want.forEach(function (_, id) { if (!shown.has(id)) add.push(isBoxId(id) ? cardNode(boxOf(id)) : leafNode(id)); });
    var found = gather(), addEdges = [], removeEdges = [];
    shownEdges.forEach(function (_, key) { if (!found.has(key)) removeEdges.push(key); });
    found.forEach(function (g, key) { if (!shownEdges.has(key)) addEdges.push(visEdge(g)); });
    if (removeEdges.length) edges.remove(removeEdges);
    if (remove.length) nodes.remove(remove);
    if (add.length) nodes.add(add);
    if (addEdges.length) edges.add(addEdges);
    shown = want;
    shownEdges = found;
    if (resize) restyleEdges();
    applyHighlight();
    topo.lastRelevel = performance.now() - t0;
    return { nodes: want.size, edges: found.size, added: add.length, removed: remove.length };
  };
  topo.isOpen = function (b) { return !!open[b]; };
  topo.shownIds = function () { return Array.from(shown.keys()); };

  /* ---- painting boxes, bands, groups and cards behind the graph ---- */
  var KIND = {
    region: { fill: "rgba(52,152,219,0.07)", card: "#ddebf7", line: "#5dade2", text: "#1a5276", dash: false },
    network: { fill: "rgba(52,152,219,0.05)", card: "#e6eff7", line: "#5dade2", text: "#1a5276", dash: true },
    foreign: { fill: "rgba(230,126,34,0.07)", card: "#fbe6d3", line: "#e67e22", text: "#784212", dash: false },
    segment: { fill: "rgba(142,68,173,0.09)", card: "#ecdff2", line: "#8e44ad", text: "#4a235a", dash: true },
    gap: { fill: "rgba(127,140,141,0.06)", card: "#e8ebeb", line: "#95a5a6", text: "#34495e", dash: true },
    group: { fill: "rgba(255,255,255,0.55)", card: "#eef1f1", line: "#aab7b8", text: "#34495e", dash: false },
    cluster: { fill: "rgba(93,109,126,0.04)", card: "#e9edf0", line: "#5d6d7e", text: "#1b2631", dash: false },
  };
  function kindOf(B) { return B.kind === "network" && B.foreign ? KIND.foreign : KIND[B.kind] || KIND.gap; }
  function roundRect(ctx, x0, y0, x1, y1, r) {
    r = Math.min(r, (x1 - x0) / 2, (y1 - y0) / 2);
    ctx.beginPath();
    ctx.moveTo(x0 + r, y0); ctx.lineTo(x1 - r, y0); ctx.quadraticCurveTo(x1, y0, x1, y0 + r);
    ctx.lineTo(x1, y1 - r); ctx.quadraticCurveTo(x1, y1, x1 - r, y1); ctx.lineTo(x0 + r, y1);
    ctx.quadraticCurveTo(x0, y1, x0, y1 - r); ctx.lineTo(x0, y0 + r); ctx.quadraticCurveTo(x0, y0, x0 + r, y0);
    ctx.closePath();
  }
  var drawnText = { titles: Infinity, lines: Infinity, largest: 0 };
  var selectedBox = -1, dimBox = null;
  /* write a line at `size`, shrunk only if it would leave the box (never below READ px,
     and never grown: a card drawn small keeps its words inside it) */
  function text(ctx, line, x, y, size, bold, room, s) {
    ctx.font = (bold ? "bold " : "") + size + "px sans-serif";
    var width = ctx.measureText(line).width;
    if (width > room && room > 0) {
      size = Math.min(size, Math.max(size * room / width, READ / s));
      ctx.font = (bold ? "bold " : "") + size + "px sans-serif";
    }
    var fill = ctx.fillStyle;
    ctx.lineWidth = size * 0.25;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.lineJoin = "round";
    ctx.strokeText(line, x, y);
    ctx.fillStyle = fill;
    ctx.fillText(line, x, y);
    return size;
  }
  /* open boxes are painted under the edges; cards (opaque, so the line of an edge that
     starts at a card's centre or passes behind it is hidden) and all words over them */
  function shape(ctx, B, b, fill, s) {
    var style = kindOf(B), px = 1 / s;
    roundRect(ctx, B.x0, B.y0, B.x1, B.y1, Math.min(14 * px, B.font * 0.5));
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.lineWidth = (b === selectedBox ? 3.5 : 1.5) * px;
    ctx.strokeStyle = b === selectedBox ? "#1b2631" : style.line;
    ctx.setLineDash(style.dash ? [8 * px, 6 * px] : []);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  /* a box's words at their layout size, but never over TITLE_MAX px: zoomed in on a router,
     the title of the band around it would otherwise be 100 px letters across the view */
  function words(ctx, B, b, s) {
    var style = kindOf(B), font = Math.min(B.font, TITLE_MAX / s);
    ctx.fillStyle = style.text;
    ctx.textBaseline = "top";
    var pad = B.kind === "group" ? font * 0.7 : font * 0.6, room = B.x1 - B.x0 - 2 * pad;
    var titles = open[b] || !B.titles ? [B.label] : B.titles, y = B.y0 + pad;
    if (font * s >= 4) {
      titles.forEach(function (line) {
        var size = text(ctx, line, B.x0 + pad, y, font, true, room, s);
        drawnText.titles = Math.min(drawnText.titles, size * s);
        drawnText.largest = Math.max(drawnText.largest, size * s);
        y += font * 1.2;
      });
    }
    var lf = Math.min(lineFont(b), TITLE_MAX * 0.9 / s);
    y += font * 0.3;
    if (!open[b] && lf * s >= 4) {
      (B.lines || []).forEach(function (line) {
        ctx.fillStyle = style.text;
        var used = text(ctx, line, B.x0 + pad, y, lf, false, room, s);
        drawnText.lines = Math.min(drawnText.lines, used * s);
        y += lf * 1.3;
      });
    }
  }
  function paint(ctx, b, s, view, over) {
    var B = boxes[b];
    if (!meets(B, view)) return;
    ctx.globalAlpha = dimBox && !dimBox[b] ? 0.4 : 1;
    if (open[b]) {
      if (!over) shape(ctx, B, b, kindOf(B).fill, s);
      else words(ctx, B, b, s);
      ctx.globalAlpha = 1;
      childBoxes[b].forEach(function (c) { paint(ctx, c, s, view, over); });
    } else if (over) {
      shape(ctx, B, b, kindOf(B).card, s);
      words(ctx, B, b, s);
    }
    ctx.globalAlpha = 1;
  }
  network.on("beforeDrawing", function (ctx) {
    var s = network.getScale(), view = viewRect(0.02);
    ctx.save();
    roots.forEach(function (b) { paint(ctx, b, s, view, false); });
    ctx.restore();
  });
  /* the router a search or a click went to: a frame a few screen pixels around its symbol
     and its label (where vis drew them: the label's box is vis's, moved by our vadjust) */
  var focusLeaf = -1;
  function focusFrame(i, s) {
    var n = leaves[i], node = network.body.nodes[i], r = (n.k === "unknown" ? 7 : 13) * (n.s || 1), pad = 4 / s;
    var frame = { x0: n.x - r, y0: n.y - r, x1: n.x + r, y1: n.y + r };
    var label = node && node.labelModule && node.labelModule.size;
    if (label && label.width > 0 && node.options.shape !== "box") {
      var top = label.top + (node.options.font.vadjust || 0);
      frame = { x0: Math.min(frame.x0, label.left), y0: frame.y0, x1: Math.max(frame.x1, label.left + label.width), y1: Math.max(frame.y1, top + label.height) };
    } else if (node && node.shape && node.shape.width) {
      frame = { x0: n.x - node.shape.width / 2, y0: n.y - node.shape.height / 2, x1: n.x + node.shape.width / 2, y1: n.y + node.shape.height / 2 };
    }
    return { x0: frame.x0 - pad, y0: frame.y0 - pad, x1: frame.x1 + pad, y1: frame.y1 + pad };
  }
  function drawFocus(ctx, s) {
    if (focusLeaf < 0 || hiddenLeaf[focusLeaf] || rep(focusLeaf) !== focusLeaf) return;
    var f = focusFrame(focusLeaf, s);
    roundRect(ctx, f.x0, f.y0, f.x1, f.y1, 6 / s);
    ctx.lineWidth = 5 / s;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.stroke();
    ctx.lineWidth = 2.5 / s;
    ctx.strokeStyle = "#d81b60";
    ctx.stroke();
  }
  network.on("afterDrawing", function (ctx) {
    var s = network.getScale(), view = viewRect(0.02);
    drawnText = { titles: Infinity, lines: Infinity, largest: 0 };
    ctx.save();
    roots.forEach(function (b) { paint(ctx, b, s, view, true); });
    drawFocus(ctx, s);
    ctx.restore();
    updateWhere();
  });
  /* ---- where am I: zoomed in past the top-level box's title, a caption at the top left
     names the boxes the middle of the view is in (through the open ones, and the card it
     lands on); a click on a name goes to that box ---- */
  var whereBar = document.getElementById("where"), whereKey = null;
  function boxPathAt(point) {
    var path = [], list = roots;
    for (;;) {
      var hit = -1;
      for (var k = 0; k < list.length; k++) {
        var B = boxes[list[k]];
        if (point.x >= B.x0 && point.x <= B.x1 && point.y >= B.y0 && point.y <= B.y1) { hit = list[k]; break; }
      }
      if (hit < 0) return path;
      path.push(hit);
      if (!open[hit]) return path;
      list = childBoxes[hit];
    }
  }
  /* is box b's title (its first line, as words() writes it) drawn, and enough of it in the
     visible area to be read? */
  function titleSeen(b, s, area) {
    var B = boxes[b], font = Math.min(B.font, TITLE_MAX / s);
    if (font * s < 4) return false;
    var pad = B.kind === "group" ? font * 0.7 : font * 0.6;
    var x0 = B.x0 + pad, x1 = Math.min(B.x1 - pad, x0 + String(B.label).length * font * 0.62);
    var a = network.canvasToDOM({ x: x0, y: B.y0 + pad }), c = network.canvasToDOM({ x: x1, y: B.y0 + pad + font });
    var wide = Math.min(c.x, area.x1) - Math.max(a.x, area.x0), high = Math.min(c.y, area.y1) - Math.max(a.y, area.y0);
    return high >= (c.y - a.y) * 0.5 && wide >= Math.min(40, c.x - a.x);
  }
  function whereNow() {
    var area = visibleArea(), s = network.getScale();
    var path = boxPathAt(network.DOMtoCanvas({ x: (area.x0 + area.x1) / 2, y: (area.y0 + area.y1) / 2 }));
    return path.length && !titleSeen(path[0], s, area) ? path : [];
  }
  function updateWhere() {
    if (!whereBar) return;
    var path = whereNow(), key = path.join(",");
    if (key === whereKey) return;
    whereKey = key;
    whereBar.textContent = "";
    path.forEach(function (b, k) {
      if (k) whereBar.appendChild(el("span", "›", "sep"));
      var part = el("button", boxes[b].label, "link");
      part.type = "button";
      part.title = "go to " + boxes[b].label;
      part.setAttribute("data-box", String(b));
      part.addEventListener("click", function () { topo.goToBox(b); });
      whereBar.appendChild(part);
    });
    whereBar.hidden = !path.length;
  }
  topo.where = function () { updateWhere(); return whereNow().map(function (b) { return boxes[b].label; }); };
  network.once("afterDrawing", function () {
    topo.drawn = true;
    topo.drawTime = marks.drawn = performance.now();
    document.body.setAttribute("data-drawn", "1");
  });

  /* ---- the view: fit, reset, zoom, pan (buttons, keys, wheel) ----
     The zoom is bounded by the content: in, until the smallest text on the map (a router's
     label in the deepest group) is LABEL_MAX px; out, until the whole map covers MIN_SHARE
     of the canvas. Fit shows every top-level box, band and loose router inside the visible
     part of the canvas (on a phone: above the bottom sheet) with FIT_MARGIN px to spare.
     A search hit is brought to LABEL_SEEK px (unless it already reads at 12-20 px). */
  var LABEL_MAX = 36, LABEL_SEEK = 15, SEEK_RANGE = [12, 20], MIN_SHARE = 0.25, FIT_MARGIN = 12;
  var bounds = null;
  function mapBounds() { // the drawn map's bounding box, canvas units (boxes never move)
    if (bounds) return bounds;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    roots.forEach(function (b) { var B = boxes[b]; x0 = Math.min(x0, B.x0); y0 = Math.min(y0, B.y0); x1 = Math.max(x1, B.x1); y1 = Math.max(y1, B.y1); });
    loose.forEach(function (i) {
      var n = leaves[i], s = n.s || 1, half = Math.max(13, n.label.length * FONT * 0.3) * s;
      x0 = Math.min(x0, n.x - half); y0 = Math.min(y0, n.y - 15 * s); x1 = Math.max(x1, n.x + half); y1 = Math.max(y1, n.y + 40 * s);
    });
    bounds = { x0: x0, y0: y0, x1: x1, y1: y1 };
    return bounds;
  }
  function smallest(values) { var least = Infinity; values.forEach(function (v) { least = Math.min(least, v); }); return least; }
  function largest(values) { var most = -Infinity; values.forEach(function (v) { most = Math.max(most, v); }); return most; }
  var leafText = Math.min(FONT, smallest(leaves.map(function (n) { return FONT * (n.s || 1); })));
  var leastText = Math.min(leafText, smallest(boxes.map(function (B, b) { return Math.min(B.font, lineFont(b)); })));
  /* the part of the canvas the user sees, in the canvas element's pixels: all of it, but on
     a phone the bottom sheet (open or as its handle) covers its lower part */
  function visibleArea() {
    var w = container.clientWidth || 800, h = container.clientHeight || 600, area = { x0: 0, y0: 0, x1: w, y1: h };
    if (getComputedStyle(panel).position === "fixed") {
      var sheet = panel.classList.contains("open") ? panel.offsetHeight : panelToggle.offsetHeight;
      var bottom = window.innerHeight - sheet - container.getBoundingClientRect().top;
      area.y1 = clamp(bottom, Math.min(h, 60), h);
    }
    return area;
  }
  function fitScale(B, area) { // the zoom at which rectangle B fills `area` less the margins
    return Math.min((area.x1 - area.x0 - 2 * FIT_MARGIN) / Math.max(B.x1 - B.x0, 1e-9),
                    (area.y1 - area.y0 - 2 * FIT_MARGIN) / Math.max(B.y1 - B.y0, 1e-9));
  }
  function zoomLimits() {
    var m = mapBounds(), most = LABEL_MAX / leastText;
    var whole = m.x0 === Infinity ? most : fitScale(m, visibleArea());
    return { least: Math.min(whole * MIN_SHARE, most), most: most };
  }
  function clampScale(scale) { var z = zoomLimits(); return clamp(scale, z.least, z.most); }
  topo.clampScale = clampScale; // vis's wheel and pinch zoom ask it (topo/render/webpage.py)
  function moveTo(x, y, scale) {
    network.moveTo({ position: { x: x, y: y }, scale: clampScale(scale), animation: false });
    topo.relevel();
  }
  /* put the canvas point (x, y) at the middle of the visible area */
  function centreOn(x, y, scale) {
    var w = container.clientWidth || 800, h = container.clientHeight || 600, area = visibleArea();
    scale = clampScale(scale);
    moveTo(x - ((area.x0 + area.x1) / 2 - w / 2) / scale, y - ((area.y0 + area.y1) / 2 - h / 2) / scale, scale);
  }
  topo.fit = function () {
    var m = mapBounds();
    if (m.x0 === Infinity) return;
    network.setSize("100%", "100%"); // vis re-reads the container's size (the header may have changed it)
    var ceiling = READ * 2.2 / leafText; // a small map is not blown up past 24 px labels
    centreOn((m.x0 + m.x1) / 2, (m.y0 + m.y1) / 2, Math.min(fitScale(m, visibleArea()), ceiling));
    showHint(false);
  };
  /* ---- the opening view (and Reset's) ----
     The whole map (Fit) when its box titles read at READ px or more there. On a phone,
     where a bigger map's cards would be empty boxes with 4-px words, the opening view shows
     part of it instead: titles at 11.5-12 px, the map's left edge (the start of the flow,
     the vantage side) at the left of the strip above the sheet, the first box's row in the
     middle of that strip; a hint on the canvas says that Fit shows all of it. */
  var TITLE_OPEN = 11.5, hintDismissed = false;
  var viewHint = document.getElementById("view-hint");
  var controlsBar = document.getElementById("controls");
  topo.opening = { partial: false };
  function sheetLayout() { return getComputedStyle(panel).position === "fixed"; }
  function controlsBottom() { return controlsBar ? controlsBar.offsetTop + controlsBar.offsetHeight : 0; }
  function showHint(on) { if (viewHint) viewHint.hidden = !(on && !hintDismissed); }
  function firstBox() { // the leftmost top-level box (a region, a network: not a band), top first
    var own = roots.filter(function (b) { return boxes[b].kind !== "segment"; }), best = -1;
    (own.length ? own : roots).forEach(function (b) {
      var B = boxes[b], pick = best < 0 ? null : boxes[best];
      if (!pick || B.x0 < pick.x0 || (B.x0 === pick.x0 && B.y0 < pick.y0)) best = b;
    });
    return best;
  }
  /* the centre that puts canvas point (x, y) at the canvas element's pixel (X, Y) at `scale` */
  function centreFor(x, y, X, Y, scale) {
    var w = container.clientWidth || 800, h = container.clientHeight || 600;
    return { x: x - (X - w / 2) / scale, y: y - (Y - h / 2) / scale };
  }
  topo.home = function () {
    var m = mapBounds();
    if (m.x0 === Infinity) return;
    network.setSize("100%", "100%");
    var area = visibleArea(), titleFont = smallest(roots.map(function (b) { return boxes[b].font; }));
    var whole = Math.min(fitScale(m, area), READ * 2.2 / leafText);
    if (!sheetLayout() || !roots.length || whole * titleFont >= READ) {
      topo.opening = { partial: false };
      topo.fit();
      return;
    }
    /* titles at 11.5 px, or up to 12 if that brings the cards' summary lines to 11 */
    var lineMin = smallest(roots.map(lineFont));
    var scale = clampScale(Math.min(11.98 / titleFont, Math.max(TITLE_OPEN / titleFont, (READ + 0.05) / lineMin)));
    var F = boxes[firstBox()];
    var top = Math.max(area.y0, controlsBottom()) + 6, left = area.x0 + FIT_MARGIN;
    var W = (area.x1 - area.x0 - 2 * FIT_MARGIN) / scale, H = (area.y1 - top - FIT_MARGIN) / scale;
    var x = m.x1 - m.x0 <= W ? (m.x0 + m.x1) / 2 - W / 2 : m.x0; // canvas x at `left`
    var y = (F.y0 + F.y1) / 2 - H / 2; // canvas y at `top`: the first box's row in the middle
    y = Math.min(y, F.y0); // its title never above the strip
    y = m.y1 - m.y0 <= H ? (m.y0 + m.y1) / 2 - H / 2 : clamp(y, m.y0, m.y1 - H);
    var c = centreFor(x, y, left, top, scale);
    moveTo(c.x, c.y, scale);
    topo.opening = { partial: true, scale: scale, first: firstBox() };
    showHint(true);
  };
  if (viewHint) {
    document.getElementById("view-hint-fit").addEventListener("click", function () { topo.fit(); });
    document.getElementById("view-hint-close").addEventListener("click", function () { hintDismissed = true; showHint(false); });
  }
  topo.zoomBy = function (factor) {
    var c = network.getViewPosition();
    moveTo(c.x, c.y, network.getScale() * factor);
  };
  topo.panBy = function (dx, dy) { // in screen pixels
    var c = network.getViewPosition(), s = network.getScale();
    moveTo(c.x + dx / s, c.y + dy / s, s);
  };
  /* a box: whole if it can be, but at a zoom where its routers read at 12-20 px */
  topo.zoomToBox = function (b) {
    showHint(false);
    var B = boxes[b], unit = FONT * B.scale;
    var scale = clamp(fitScale(B, visibleArea()), (READ + 1) / unit, SEEK_RANGE[1] / unit);
    centreOn((B.x0 + B.x1) / 2, (B.y0 + B.y1) / 2, scale);
  };
  /* a box named in the where-am-I caption: at zoomToBox's zoom, whole and centred if it
     fits, else its top left corner (its title) at the top left of the visible area, under
     the buttons and the caption */
  topo.goToBox = function (b) {
    showHint(false);
    var B = boxes[b], unit = FONT * B.scale, area = visibleArea();
    var scale = clampScale(clamp(fitScale(B, area), (READ + 1) / unit, SEEK_RANGE[1] / unit));
    if (fitScale(B, area) >= scale * 0.999) { centreOn((B.x0 + B.x1) / 2, (B.y0 + B.y1) / 2, scale); return; }
    var below = whereBar && !whereBar.hidden ? whereBar.offsetTop + whereBar.offsetHeight : controlsBottom();
    var c = centreFor(B.x0, B.y0, area.x0 + FIT_MARGIN, Math.max(area.y0, below) + 6, scale);
    moveTo(c.x, c.y, scale);
  };
  /* a router, centred, its label at 12-20 px (its groups open at that zoom) */
  topo.zoomToNode = function (i) {
    var n = leaves[i], unit = FONT * (n.s || 1), px = unit * network.getScale();
    var scale = px >= SEEK_RANGE[0] && px <= SEEK_RANGE[1] ? network.getScale() : LABEL_SEEK / unit;
    centreOn(n.x, n.y, scale);
  };
  /* centre a shown router if it (or the label under it) is out of the visible area: the
     phone's sheet has just opened over it */
  function keepInView(i) {
    var n = leaves[i], p = network.canvasToDOM({ x: n.x, y: n.y }), area = visibleArea();
    var below = 2.5 * FONT * (n.s || 1) * network.getScale();
    if (p.x < area.x0 || p.x > area.x1 || p.y < area.y0 || p.y + below > area.y1) centreOn(n.x, n.y, network.getScale());
  }
  var relevelTimer = null;
  function later() { clearTimeout(relevelTimer); relevelTimer = setTimeout(topo.relevel, 120); }
  network.on("zoom", later);
  network.on("dragEnd", later);
  window.addEventListener("resize", later);

  /* ---- details: a side panel with everything known, selectable and copyable ---- */
  var details = document.getElementById("details");
  function table(rows) {
    var t = el("table", null, "rows");
    rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", row[0]));
      tr.appendChild(el("td", row[1]));
      t.appendChild(tr);
    });
    return t;
  }
  topo.tooltipFor = function (id) { return table(data.info[id] || []); };
  /* an edge's rows, written from its compact facts (topo/render/pagedata.py: edge_data) */
  function edgeRows(j) {
    var e = links[j], rows = [];
    if (!e) return rows;
    if (e.exit) rows.push(["exit", e.exit]);
    rows.push(["traces", String(e.n)]);
    if (e.d !== undefined) rows.push(["RTT delta min", e.d.toFixed(3) + " ms"]);
    if (e.g) rows.push(["TTLs skipped", String(e.g)]);
    if (e.seg) rows.push(["segment", e.seg]);
    if (e.dashes) rows.push(["unreached", "the destination did not answer"]);
    if (e.t.length) rows.push(["trace ids", e.t.map(function (t) { return data.traces[t].id; }).join(", ")]);
    return rows;
  }
  topo.edgeRows = edgeRows;
  topo.edgeTooltipFor = function (j) { return table(edgeRows(j)); };
  var nodeTraces = null;
  function tracesOf(i) {
    if (nodeTraces === null) {
      nodeTraces = leaves.map(function () { return []; });
      data.traces.forEach(function (trace, t) {
        trace.path.forEach(function (n) { var list = nodeTraces[n]; if (list[list.length - 1] !== t) list.push(t); });
      });
    }
    return nodeTraces[i] || [];
  }
  topo.tracesOf = tracesOf;
  function tracesOfBox(b) {
    var found = [];
    data.traces.forEach(function (trace, t) {
      for (var k = 0; k < trace.path.length; k++) {
        var own = leaves[trace.path[k]].b;
        if (own >= 0 && ancestorOf(b, own)) { found.push(t); return; }
      }
    });
    return found;
  }
  function traceList(list) {
    var wrap = el("div", null, "trace-list");
    wrap.appendChild(el("h3", list.length + " trace" + (list.length === 1 ? "" : "s") + " through it"));
    var ul = el("ul");
    list.slice(0, 200).forEach(function (t) {
      var trace = data.traces[t], li = el("li");
      var link = el("button", trace.id, "link");
      link.type = "button";
      link.title = "highlight this trace";
      link.addEventListener("click", function () { topo.highlightTrace(t); });
      li.appendChild(link);
      if (trace.verdict) li.appendChild(el("span", trace.verdict, "verdict v-" + trace.verdict));
      ul.appendChild(li);
    });
    if (list.length > 200) ul.appendChild(el("li", "… and " + (list.length - 200) + " more", "muted"));
    wrap.appendChild(ul);
    if (list.length > 1) {
      var all = el("button", "highlight all " + list.length, "link");
      all.type = "button";
      all.addEventListener("click", function () { highlight(list, list.length + " traces"); });
      wrap.appendChild(all);
    }
    return wrap;
  }
  function copyButton() {
    var button = el("button", "Copy", "small");
    button.type = "button";
    button.title = "copy these details as text";
    button.addEventListener("click", function () {
      var body = details.querySelector(".details-body");
      var textValue = body ? body.innerText : "";
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(textValue).catch(function () {});
      var range = document.createRange();
      if (body) { range.selectNodeContents(body); var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range); }
    });
    return button;
  }
  function showDetails(kind, title, parts) {
    details.textContent = "";
    var head = el("div", null, "details-head");
    head.appendChild(el("span", kind, "details-kind"));
    head.appendChild(copyButton());
    details.appendChild(head);
    var body = el("div", null, "details-body");
    body.appendChild(el("h3", title, "details-title"));
    parts.forEach(function (p) { body.appendChild(p); });
    details.appendChild(body);
    details.setAttribute("data-kind", kind);
    openPanel();
  }
  topo.showNode = function (i) {
    showDetails("router", leaves[i].label, [topo.tooltipFor(i), traceList(tracesOf(i))]);
  };
  topo.showBox = function (b) {
    var B = boxes[b], parts = [];
    (B.summary || []).forEach(function (line) { parts.push(el("div", line, "summary-line")); });
    parts.push(table(B.info || []));
    parts.push(traceList(tracesOfBox(b)));
    var names = { region: "region box", network: B.foreign ? "foreign network" : "network box",
                  segment: "interconnect band", gap: "hops nobody owns", group: "group",
                  cluster: "cluster of boxes" };
    showDetails(names[B.kind] || B.kind, B.label, parts);
    selectedBox = b;
    network.redraw();
  };
  function nameOf(id) { return isBoxId(id) ? boxes[boxOf(id)].label : leaves[id].label; }
  topo.showEdge = function (key) {
    var g = shownEdges.get(key);
    if (!g) return;
    var parts = [], traces = {};
    if (g.exit) parts.push(el("div", g.exit, "exit-line"));
    if (g.members.length === 1) parts.push(topo.edgeTooltipFor(g.members[0]));
    else parts.push(table([["router edges", String(g.members.length)], ["traces", String(g.n)]]));
    g.members.forEach(function (j) { links[j].t.forEach(function (t) { traces[t] = true; }); });
    parts.push(traceList(Object.keys(traces).map(Number).sort(function (a, b) { return a - b; })));
    showDetails(g.exit ? "exit edge" : "edge", nameOf(g.from) + " → " + nameOf(g.to), parts);
  };
  topo.clearDetails = function () {
    details.textContent = "";
    details.appendChild(el("div", "Click a router, a box or a band for everything known about it.", "muted"));
    details.removeAttribute("data-kind");
    selectedBox = -1;
    focusLeaf = -1;
  };

  /* ---- highlight: traces through a node or box, or one trace ---- */
  var highlightState = null;
  topo.highlighted = null;
  function applyHighlight() {
    if (!highlightState) return;
    var onPath = {}, ids = [], leafIds = [], edgeKeys = [], edgeIds = {}, chosen = {};
    dimBox = {};
    highlightState.traces.forEach(function (t) {
      chosen[t] = true;
      var path = data.traces[t].path;
      for (var k = 0; k < path.length; k++) {
        var r = rep(path[k]);
        leafIds.push(path[k]);
        if (!onPath[r]) { onPath[r] = true; ids.push(r); }
        for (var b = leaves[path[k]].b; b >= 0; b = boxes[b].parent) dimBox[b] = true;
        if (k > 0) { var key = rep(path[k - 1]) + ">" + r; if (shownEdges.has(key) && !edgeIds[key]) { edgeIds[key] = true; edgeKeys.push(key); } }
      }
    });
    network.setSelection({ nodes: ids, edges: edgeKeys }, { unselectAll: true, highlightEdges: false });
    var changes = [];
    shown.forEach(function (_, id) { if (!isBoxId(id)) changes.push({ id: id, opacity: onPath[id] ? 1 : 0.25 }); });
    nodes.update(changes);
    var edgeChanges = [];
    shownEdges.forEach(function (g, key) {
      edgeChanges.push({ id: key, color: edgeIds[key] ? visEdge(g).color || { color: "#1f3a93" } : { color: "#e5e8e8" } });
    });
    edges.update(edgeChanges);
    var dataEdges = [];
    links.forEach(function (e, j) { if (e.t.some(function (t) { return chosen[t]; })) dataEdges.push(j); });
    topo.highlighted = { traces: highlightState.traces.slice(), nodes: Array.from(new Set(leafIds)), edges: dataEdges, shown: ids };
    document.querySelectorAll(".trace-row").forEach(function (row) {
      row.classList.toggle("active", !!chosen[Number(row.getAttribute("data-trace"))]);
    });
    network.redraw();
  }
  function highlight(list, title) {
    highlightState = { traces: list.slice(), title: title };
    document.getElementById("highlight-note").textContent = "Highlighted: " + title;
    document.getElementById("highlight-bar").hidden = false;
    applyHighlight();
    return topo.highlighted;
  }
  topo.highlightNode = function (i) {
    var ts = tracesOf(i);
    return highlight(ts, ts.length + " trace" + (ts.length === 1 ? "" : "s") + " through " + leaves[i].label);
  };
  topo.highlightTrace = function (t) { return highlight([t], "path of " + data.traces[t].id); };
  topo.clearHighlight = function () {
    highlightState = null;
    dimBox = null;
    network.unselectAll();
    nodes.update(Array.from(shown.keys()).filter(function (id) { return !isBoxId(id); }).map(function (id) { return { id: id, opacity: 1 }; }));
    var restore = [];
    shownEdges.forEach(function (g, key) { restore.push({ id: key, color: visEdge(g).color || null }); });
    edges.update(restore);
    topo.highlighted = null;
    document.getElementById("highlight-bar").hidden = true;
    document.querySelectorAll(".trace-row.active").forEach(function (row) { row.classList.remove("active"); });
    network.redraw();
  };
  document.getElementById("highlight-clear").addEventListener("click", function () { topo.clearHighlight(); });

  function openBoxAt(point) {
    var found = -1;
    function visit(b) {
      var B = boxes[b];
      if (point.x < B.x0 || point.x > B.x1 || point.y < B.y0 || point.y > B.y1) return;
      found = b;
      if (open[b]) childBoxes[b].forEach(visit);
    }
    roots.forEach(visit);
    return found;
  }
  network.on("click", function (params) {
    if (params.nodes.length) {
      var id = params.nodes[0];
      if (isBoxId(id)) { topo.showBox(boxOf(id)); topo.zoomToBox(boxOf(id)); }
      else { selectedBox = -1; topo.showNode(id); focusLeaf = id; topo.highlightNode(id); keepInView(id); }
      return;
    }
    if (params.edges.length) { topo.showEdge(params.edges[0]); return; }
    var b = openBoxAt(params.pointer.canvas);
    if (b >= 0) topo.showBox(b);
    else { topo.clearDetails(); topo.clearHighlight(); }
  });

  /* ---- hover: a short table (the panel has everything) ---- */
  var tooltip = document.getElementById("tooltip");
  /* a finger or a pen has no hover: vis still reports one for a tap (from the mouse events
     the browser emulates after it), and the tooltip would cover the sheet with the details */
  var touchInput = window.matchMedia ? window.matchMedia("(hover: none)").matches : false;
  function pointerKind(ev) { touchInput = ev.pointerType === "touch" || ev.pointerType === "pen"; if (touchInput) hideTip(); }
  container.addEventListener("pointerdown", pointerKind, true);
  container.addEventListener("pointermove", function (ev) { if (ev.pointerType === "mouse") touchInput = false; }, true);
  function showTip(content, params) {
    if (touchInput) return;
    tooltip.textContent = "";
    tooltip.appendChild(content);
    var rect = container.getBoundingClientRect();
    var p = params.pointer && params.pointer.DOM ? params.pointer.DOM : { x: 0, y: 0 };
    tooltip.style.display = "block";
    var left = Math.min(rect.left + p.x + 14, window.innerWidth - tooltip.offsetWidth - 8);
    var top = rect.top + p.y + 14;
    if (top + tooltip.offsetHeight > window.innerHeight - 8) top = Math.max(8, rect.top + p.y - tooltip.offsetHeight - 14);
    tooltip.style.left = Math.max(8, left) + "px";
    tooltip.style.top = top + "px";
  }
  function hideTip() { tooltip.style.display = "none"; }
  network.on("hoverNode", function (p) {
    if (!isBoxId(p.node)) { showTip(topo.tooltipFor(p.node), p); return; }
    var B = boxes[boxOf(p.node)], box = el("div");
    box.appendChild(el("b", B.label));
    (B.summary || []).forEach(function (line) { box.appendChild(el("div", line)); });
    box.appendChild(el("div", "click to open", "muted"));
    showTip(box, p);
  });
  network.on("hoverEdge", function (p) {
    var g = shownEdges.get(p.edge);
    if (!g) return;
    var box = el("div");
    box.appendChild(el("div", nameOf(g.from) + " → " + nameOf(g.to)));
    box.appendChild(el("div", g.n + " trace" + (g.n === 1 ? "" : "s")));
    if (g.exit) box.appendChild(el("b", g.exit));
    showTip(box, p);
  });
  network.on("blurNode", hideTip);
  network.on("blurEdge", hideTip);
  network.on("dragStart", hideTip);
  network.on("zoom", hideTip);

  /* ---- filters: category toggles and trace toggles ---- */
  var categoryOn = {};
  data.legend.forEach(function (e) { categoryOn[e.key] = true; });
  var traceOn = data.traces.map(function () { return true; });
  function applyVisibility() {
    var anyTraceOff = traceOn.indexOf(false) >= 0, changes = [];
    for (var i = 0; i < leaves.length; i++) {
      var visible = categoryOn[leaves[i].k] !== false;
      if (visible && anyTraceOff) {
        var ts = tracesOf(i);
        visible = ts.length === 0 || ts.some(function (t) { return traceOn[t]; });
      }
      if (hiddenLeaf[i] === (visible ? 1 : 0)) {
        hiddenLeaf[i] = visible ? 0 : 1;
        if (shown.has(i)) changes.push({ id: i, hidden: !visible });
      }
    }
    if (changes.length) nodes.update(changes);
  }
  topo.setCategory = function (key, on) { categoryOn[key] = !!on; applyVisibility(); };
  topo.setTrace = function (index, on) { traceOn[index] = !!on; applyVisibility(); };
  topo.hiddenNodes = function () { var out = []; for (var i = 0; i < hiddenLeaf.length; i++) if (hiddenLeaf[i]) out.push(i); return out; };

  /* ---- search: address, name, org, AS, region, category, RFC; a hit inside a closed box opens it ---- */
  var searchBox = document.getElementById("search");
  var searchResult = document.getElementById("search-result");
  var searchList = document.getElementById("search-list");
  topo.search = function (query) {
    var q = String(query || "").trim().toLowerCase().replace(/\s+/g, " ");
    searchList.textContent = "";
    if (!q) { searchResult.textContent = ""; return []; }
    var found = [], foundBoxes = [];
    data.search.forEach(function (textValue, i) { if (textValue.indexOf(q) >= 0 && !hiddenLeaf[i]) found.push(i); });
    boxes.forEach(function (B, b) { if (B.kind !== "group" && B.search && B.search.indexOf(q) >= 0) foundBoxes.push(b); });
    var words = [];
    if (found.length) words.push(found.length + " found");
    if (foundBoxes.length) words.push(foundBoxes.length + " box" + (foundBoxes.length === 1 ? "" : "es"));
    searchResult.textContent = words.length ? words.join(", ") : "nothing found";
    foundBoxes.slice(0, 20).forEach(function (b) {
      var li = el("li"), link = el("button", boxes[b].label, "link");
      link.type = "button";
      link.addEventListener("click", function () { topo.showBox(b); topo.zoomToBox(b); });
      li.appendChild(link);
      li.appendChild(el("span", " box", "muted"));
      searchList.appendChild(li);
    });
    found.slice(0, 50).forEach(function (i) {
      var li = el("li"), link = el("button", leaves[i].label, "link");
      link.type = "button";
      link.addEventListener("click", function () { topo.goTo(i); });
      li.appendChild(link);
      var b = leaves[i].b;
      while (b >= 0 && boxes[b].parent >= 0) b = boxes[b].parent;
      if (b >= 0) li.appendChild(el("span", " in " + boxes[b].label, "muted"));
      searchList.appendChild(li);
    });
    if (found.length > 50) searchList.appendChild(el("li", "… and " + (found.length - 50) + " more", "muted"));
    if (found.length) {
      topo.goTo(found[0]);  // a search shows its first hit, not the last click
      var reps = {}, ids = [];
      found.slice(0, 2000).forEach(function (i) { var r = rep(i); if (!reps[r]) { reps[r] = true; ids.push(r); } });
      network.selectNodes(ids, false);
    } else if (foundBoxes.length) {
      topo.showBox(foundBoxes[0]);
      topo.zoomToBox(foundBoxes[0]);
    }
    return found;
  };
  topo.goTo = function (i, quiet) {
    showHint(false); // the reader went somewhere: the opening view's hint has done its work
    if (!quiet || !details.getAttribute("data-kind")) topo.showNode(i); // first: on a phone it opens the sheet
    topo.zoomToNode(i);
    focusLeaf = i;
    network.selectNodes([rep(i)], false);
    network.redraw();
  };
  var searchTimer = null;
  searchBox.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { topo.search(searchBox.value); }, 250);
  });
  searchBox.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { clearTimeout(searchTimer); topo.search(searchBox.value); }
  });

  /* ---- legend with category toggles, and what the boxes and marks mean ---- */
  var legendBox = document.getElementById("legend");
  var FAMILIES_SHOWN = 30, families = data.legend.filter(function (e) { return e.key.indexOf("public:") === 0 && e.key !== "public:?"; });
  var hiddenFamilies = families.length > FAMILIES_SHOWN
    ? families.slice().sort(function (a, b) { return b.count - a.count; }).slice(FAMILIES_SHOWN) : [];
  var folded = {};
  hiddenFamilies.forEach(function (e) { folded[e.key] = true; });
  data.legend.forEach(function (entry) {
    if (folded[entry.key]) return;
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
  if (hiddenFamilies.length) {
    var more = el("div", "… and " + hiddenFamilies.length + " smaller owner families (search finds them)", "muted");
    legendBox.insertBefore(more, legendBox.children[FAMILIES_SHOWN] || null);
  }
  var present = {};
  boxes.forEach(function (B) { present[B.kind === "network" && B.foreign ? "foreign" : B.kind] = true; });
  [["region", "region (published ranges, manifest)"], ["network", "provider, no region published"],
   ["foreign", "network outside the provider"], ["segment", "interconnect band"],
   ["gap", "public hops nobody owns"], ["group", "group of addresses (zoom in)"],
   ["cluster", "cluster of boxes (zoom in)"]].forEach(function (pair) {
    if (!present[pair[0]]) return;
    var row = el("div", null, "legend-row");
    var swatch = el("span", null, "swatch area-swatch area-" + pair[0]);
    row.appendChild(swatch);
    row.appendChild(el("span", pair[1]));
    legendBox.appendChild(row);
  });
  if (data.exits.length) {
    var exitRow = el("div", null, "legend-row");
    exitRow.appendChild(el("span", null, "swatch exit-swatch"));
    exitRow.appendChild(el("span", "exit: the provider's last hop → the first foreign one"));
    legendBox.appendChild(exitRow);
  }

  /* ---- the trace list ---- */
  var traceBox = document.getElementById("traces");
  data.traces.slice(0, 500).forEach(function (trace, t) {
    var row = el("div", null, "trace-row");
    row.setAttribute("data-trace", String(t));
    var box = el("input"); box.type = "checkbox"; box.checked = true;
    box.title = "show or hide this trace's own routers";
    box.addEventListener("change", function () { topo.setTrace(t, box.checked); });
    var button = el("button", trace.id, "link");
    button.type = "button";
    button.addEventListener("click", function () { topo.highlightTrace(t); });
    row.appendChild(box); row.appendChild(button);
    if (trace.verdict) row.appendChild(el("span", trace.verdict, "verdict v-" + trace.verdict));
    traceBox.appendChild(row);
  });
  if (data.traces.length > 500) traceBox.appendChild(el("div", "… first 500 of " + data.traces.length + " traces listed", "muted"));

  /* ---- controls and keys ---- */
  topo.reset = function () {
    topo.clearHighlight();
    topo.clearDetails();
    searchBox.value = "";
    searchResult.textContent = "";
    searchList.textContent = "";
    document.querySelectorAll("#legend input[type=checkbox]").forEach(function (box) { box.checked = true; });
    document.querySelectorAll(".trace-row input[type=checkbox]").forEach(function (box) { box.checked = true; });
    Object.keys(categoryOn).forEach(function (k) { categoryOn[k] = true; });
    traceOn = traceOn.map(function () { return true; });
    applyVisibility();
    panel.classList.remove("open"); // on a phone the sheet folds back to its handle, as it opened
    topo.home();
  };
  function on(id, handler) { document.getElementById(id).addEventListener("click", handler); }
  on("fit", function () { topo.fit(); });
  on("reset", function () { topo.reset(); });
  on("zoom-in", function () { topo.zoomBy(1.4); });
  on("zoom-out", function () { topo.zoomBy(1 / 1.4); });
  function openPanel() { panel.classList.add("open"); }
  on("panel-toggle", function () { panel.classList.toggle("open"); });
  window.addEventListener("keydown", function (ev) {
    var tag = ev.target && ev.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var step = 120, handled = true;
    switch (ev.key) {
      case "ArrowLeft": topo.panBy(-step, 0); break;
      case "ArrowRight": topo.panBy(step, 0); break;
      case "ArrowUp": topo.panBy(0, -step); break;
      case "ArrowDown": topo.panBy(0, step); break;
      case "+": case "=": topo.zoomBy(1.4); break;
      case "-": case "_": topo.zoomBy(1 / 1.4); break;
      case "0": case "f": topo.fit(); break;
      case "r": topo.reset(); break;
      case "Escape": topo.clearHighlight(); topo.clearDetails(); network.redraw(); break;
      case "/": searchBox.focus(); break;
      default: handled = false;
    }
    if (handled) ev.preventDefault();
  });

  /* ---- for tests and scripts: the view (read only; page coordinates are CSS px of the
     window, as getBoundingClientRect gives them) ---- */
  function pageRect(B) {
    var rect = container.getBoundingClientRect(), a = network.canvasToDOM({ x: B.x0, y: B.y0 }), b = network.canvasToDOM({ x: B.x1, y: B.y1 });
    return { x0: rect.left + a.x, y0: rect.top + a.y, x1: rect.left + b.x, y1: rect.top + b.y };
  }
  topo.view = function () {
    var s = network.getScale(), rect = container.getBoundingClientRect(), area = visibleArea();
    var out = { scale: s, centre: network.getViewPosition(), limits: zoomLimits(), touch: touchInput,
                canvas: { x0: rect.left, y0: rect.top, x1: rect.right, y1: rect.bottom },
                visible: { x0: rect.left + area.x0, y0: rect.top + area.y0, x1: rect.left + area.x1, y1: rect.top + area.y1 },
                map: pageRect(mapBounds()), focus: focusLeaf, focusAt: null, focusLabelPx: null };
    if (focusLeaf >= 0) {
      var n = leaves[focusLeaf];
      out.focusAt = pageRect({ x0: n.x, y0: n.y, x1: n.x, y1: n.y });
      out.focusLabelPx = FONT * (n.s || 1) * s;
    }
    /* the edges as vis holds them: line width and arrowhead length in screen px */
    var widths = [], arrows = [];
    shownEdges.forEach(function (_, key) {
      var e = network.body.edges[key];
      if (!e) return;
      var w = Math.max(e.options.width, 0.3 / s);
      widths.push(w * s);
      arrows.push((15 * Math.abs(e.options.arrows.to.scaleFactor) + 3 * w) * s);
    });
    out.edges = { count: widths.length, width: [smallest(widths), largest(widths)], arrow: [smallest(arrows), largest(arrows)] };
    return out;
  };

  /* ---- for tests and scripts: the layout as drawn ---- */
  topo.layout = function () {
    var s = network.getScale(), view = viewRect(0), out = { scale: s, font: data.font, boxes: [], bands: [], groups: [], exits: [] };
    boxes.forEach(function (B, b) {
      var drawn = B.parent < 0 || (open[B.parent] && cover[B.parent] < 0);
      var record = { index: b, key: B.key, kind: B.kind, label: B.label, x0: B.x0, y0: B.y0, x1: B.x1, y1: B.y1,
                     parent: B.parent >= 0 ? boxes[B.parent].key : null, open: !!open[b], drawn: drawn,
                     inView: meets(B, view), foreign: !!B.foreign, size: B.size };
      (B.kind === "segment" ? out.bands : B.kind === "group" ? out.groups : out.boxes).push(record);
    });
    var nodePx = Infinity, edgePx = Infinity, largest = drawnText.largest;
    shown.forEach(function (_, id) {
      if (isBoxId(id) || hiddenLeaf[id]) return;
      var n = leaves[id];
      if (n.x > view.x0 && n.x < view.x1 && n.y > view.y0 && n.y < view.y1) nodePx = Math.min(nodePx, FONT * (n.s || 1) * s);
    });
    shownEdges.forEach(function (g) {
      if (g.exit) { var px = visEdge(g).font.size * s; edgePx = Math.min(edgePx, px); largest = Math.max(largest, px); }
    });
    /* the smallest of each kind of words drawn, and the largest box title or exit label */
    var labels = { titles: drawnText.titles, lines: drawnText.lines, nodes: nodePx, edges: edgePx, largest: largest };
    labels.min = Math.min(labels.titles, labels.lines, labels.nodes, labels.edges);
    out.labels = labels;
    out.exits = data.exits.map(function (e) {
      var key = rep(e.from) + ">" + rep(e.to), g = shownEdges.get(key), style = g ? visEdge(g) : null;
      return { from: e.from, to: e.to, text: e.text, drawn: !!g, marked: !!(g && g.exit && style.label), label: style && style.label, colour: style && style.color && style.color.color };
    });
    out.shown = { nodes: shown.size, edges: shownEdges.size };
    return out;
  };

  topo.clearDetails();
  topo.home();
  marks.fitted = performance.now();
})();
