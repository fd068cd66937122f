/** A box to place: its id, size, and a rank that orders boxes of one row before any sweep (lower first). */
export interface LayoutBox {
  id: string;
  width: number;
  height: number;
  rank: number;
}

/** A directed link between two boxes (upstream `from`, downstream `to`). */
export interface LayoutLink {
  from: string;
  to: string;
}

/** Spacing of a layout, in CSS pixels. */
export interface LayoutSpacing {
  /** Horizontal gap between two boxes of one row. */
  gap: number;
  /** Vertical gap between two rows (where the links run). */
  rowGap: number;
  /** Margin around the drawing. */
  margin: number;
  /** Width a link passing through a row takes in it. */
  laneWidth: number;
}

/** A placed box: top-left corner, size and row. */
export interface PlacedBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  row: number;
}

/** A routed link: the index of the input link and the SVG path data from its source to its target. */
export interface RoutedLink {
  index: number;
  from: string;
  to: string;
  path: string;
  /** Where the link ends (the top middle of its target), for an arrowhead or a label. */
  end: { x: number; y: number };
  /** A point in the middle of the link, for a label. */
  middle: { x: number; y: number };
}

/** A whole layout: boxes, links and the size of the drawing. */
export interface GraphLayout {
  boxes: PlacedBox[];
  links: RoutedLink[];
  width: number;
  height: number;
}

const DEFAULT_SPACING: LayoutSpacing = { gap: 28, rowGap: 64, margin: 24, laneWidth: 14 };

interface Item {
  /** Index into `items`. */
  i: number;
  id: string;
  width: number;
  height: number;
  rank: number;
  order: number;
  dummy: boolean;
  row: number;
  x: number;
  up: number[];
  down: number[];
}

/**
 * Lays out a directed graph top to bottom in rows (a layered, Sugiyama-style drawing, small enough to
 * do by hand): every link points down; a box sits one row below the lowest of its sources; a box
 * with no source sits just above its first target; a link spanning several rows passes through each
 * of them in a lane of its own, so no link crosses a box; rows are ordered by sweeping barycenters up
 * and down, keeping the order with the fewest crossings; boxes are then pulled toward the middle of
 * their neighbours. Links that would close a cycle are drawn but do not shape the rows. Links to
 * unknown ids and repeated links are left out.
 *
 * Deterministic: the same input gives the same numbers (ties are broken by rank, then input order).
 */
export function layoutGraph(
  boxes: readonly LayoutBox[],
  links: readonly LayoutLink[],
  spacing: Partial<LayoutSpacing> = {},
): GraphLayout {
  const sp = { ...DEFAULT_SPACING, ...spacing };
  const items: Item[] = [];
  const byId = new Map<string, number>();
  for (const b of boxes) {
    if (byId.has(b.id)) continue;
    byId.set(b.id, items.length);
    items.push({
      i: items.length,
      id: b.id,
      width: b.width,
      height: b.height,
      rank: b.rank,
      order: items.length,
      dummy: false,
      row: 0,
      x: 0,
      up: [],
      down: [],
    });
  }
  const realCount = items.length;

  // Links between known boxes, once each, in input order.
  const kept: { index: number; from: number; to: number }[] = [];
  const seen = new Set<string>();
  links.forEach((l, index) => {
    const from = byId.get(l.from);
    const to = byId.get(l.to);
    if (from === undefined || to === undefined || from === to) return;
    const key = `${from}\u0000${to}`;
    if (seen.has(key)) return;
    seen.add(key);
    kept.push({ index, from, to });
  });

  // Rows: longest path over the links that keep the graph acyclic.
  const acyclic = acyclicLinks(realCount, kept);
  const preds: number[][] = Array.from({ length: realCount }, () => []);
  const succs: number[][] = Array.from({ length: realCount }, () => []);
  for (const l of acyclic) {
    preds[l.to]?.push(l.from);
    succs[l.from]?.push(l.to);
  }
  const topo = topologicalOrder(realCount, preds, succs, items);
  const row = new Array<number>(realCount).fill(0);
  for (const v of topo) {
    for (const p of preds[v] ?? []) row[v] = Math.max(row[v] ?? 0, (row[p] ?? 0) + 1);
  }
  // A box nothing points to sits just above its nearest target (a data set next to its run).
  for (const v of [...topo].reverse()) {
    if ((preds[v] ?? []).length > 0 || (succs[v] ?? []).length === 0) continue;
    row[v] = Math.max(0, Math.min(...(succs[v] ?? []).map((s) => row[s] ?? 0)) - 1);
  }
  for (const it of items) it.row = row[it.i] ?? 0;

  // Chains of lanes for links spanning rows; reversed (cycle) links run upward the same way.
  const chains: { index: number; from: string; to: string; chain: number[]; reversed: boolean }[] = [];
  for (const l of kept) {
    const a = items[l.from] as Item;
    const b = items[l.to] as Item;
    const reversed = b.row < a.row;
    const top = reversed ? b : a;
    const bottom = reversed ? a : b;
    if (top.row === bottom.row) {
      // Same row (a cycle within a row): route through a lane in the row below.
      chains.push({ index: l.index, from: a.id, to: b.id, chain: [a.i, b.i], reversed });
      continue;
    }
    const chain = [top.i];
    for (let r = top.row + 1; r < bottom.row; r++) {
      const d: Item = {
        i: items.length,
        id: `\u0000lane${items.length}`,
        width: sp.laneWidth,
        height: 0,
        rank: Math.min(top.rank, bottom.rank),
        order: items.length,
        dummy: true,
        row: r,
        x: 0,
        up: [],
        down: [],
      };
      items.push(d);
      chain.push(d.i);
    }
    chain.push(bottom.i);
    for (let k = 0; k + 1 < chain.length; k++) {
      const u = items[chain[k] as number] as Item;
      const w = items[chain[k + 1] as number] as Item;
      u.down.push(w.i);
      w.up.push(u.i);
    }
    chains.push({
      index: l.index,
      from: a.id,
      to: b.id,
      chain: reversed ? [...chain].reverse() : chain,
      reversed,
    });
  }

  // Rows of items, first ordered by rank then input order.
  const rowCount = items.reduce((m, it) => Math.max(m, it.row + 1), 0);
  let rows: Item[][] = Array.from({ length: rowCount }, () => []);
  for (const it of items) rows[it.row]?.push(it);
  for (const r of rows) r.sort((p, q) => p.rank - q.rank || p.order - q.order);
  rows = orderRows(rows);

  placeX(rows, items, sp);
  straightenLanes(rows, items, chains, sp);
  normalizeX(items, sp);

  // y per row: rows as tall as their tallest box.
  const rowTop: number[] = [];
  let y = sp.margin;
  for (const r of rows) {
    rowTop.push(y);
    const h = r.reduce((m, it) => Math.max(m, it.height), 0);
    y += h + sp.rowGap;
  }
  const height = Math.round(y - sp.rowGap + sp.margin);
  const rowHeight = rows.map((r) => r.reduce((m, it) => Math.max(m, it.height), 0));

  const placed: PlacedBox[] = items
    .filter((it) => !it.dummy)
    .map((it) => ({
      id: it.id,
      x: Math.round(it.x),
      y: Math.round(rowTop[it.row] ?? 0),
      width: it.width,
      height: it.height,
      row: it.row,
    }));
  const width = Math.round(items.reduce((m, it) => Math.max(m, it.x + it.width), 0) + sp.margin);

  // Ports: the links leaving (entering) a box spread along its bottom (top) edge in target order.
  const outPort = portOffsets(items, "down");
  const inPort = portOffsets(items, "up");

  const routed: RoutedLink[] = chains.map((c) => {
    const pts: [number, number][] = [];
    const ids = c.chain;
    for (let k = 0; k < ids.length; k++) {
      const it = items[ids[k] as number] as Item;
      const top = rowTop[it.row] ?? 0;
      const center = it.x + it.width / 2;
      if (it.dummy) {
        // enter the lane at the row's top and leave it at its bottom (or the reverse going up)
        const h = rowHeight[it.row] ?? 0;
        const seq: [number, number][] = [
          [center, top],
          [center, top + h],
        ];
        pts.push(...(c.reversed ? seq.reverse() : seq));
      } else if (k === 0) {
        const next = items[ids[1] as number] as Item;
        const goingDown = next.row > it.row || (next.row === it.row && !c.reversed);
        const off = (goingDown ? outPort : inPort).get(`${it.i}>${next.i}`) ?? 0;
        pts.push([center + off, goingDown ? top + it.height : top]);
      } else {
        const prev = items[ids[k - 1] as number] as Item;
        const comingDown = prev.row < it.row || (prev.row === it.row && !c.reversed);
        const off = (comingDown ? inPort : outPort).get(`${it.i}<${prev.i}`) ?? 0;
        pts.push([center + off, comingDown ? top : top + it.height]);
      }
    }
    const path = curve(pts, sp.rowGap);
    const last = pts[pts.length - 1] ?? [0, 0];
    const mid = midpoint(pts);
    return {
      index: c.index,
      from: c.from,
      to: c.to,
      path,
      end: { x: round1(last[0]), y: round1(last[1]) },
      middle: { x: round1(mid[0]), y: round1(mid[1]) },
    };
  });
  routed.sort((p, q) => p.index - q.index);
  return { boxes: placed, links: routed, width: Math.max(width, 2 * sp.margin), height };
}

/** The links that keep the graph acyclic: a depth-first walk in input order drops each back link. */
function acyclicLinks<L extends { from: number; to: number }>(count: number, links: L[]): L[] {
  const out: L[][] = Array.from({ length: count }, () => []);
  for (const l of links) out[l.from]?.push(l);
  const state = new Uint8Array(count); // 0 new, 1 on the stack, 2 done
  const back = new Set<L>();
  for (let s = 0; s < count; s++) {
    if (state[s] !== 0) continue;
    const stack: { v: number; k: number }[] = [{ v: s, k: 0 }];
    state[s] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { v: number; k: number };
      const l = out[top.v]?.[top.k];
      if (!l) {
        state[top.v] = 2;
        stack.pop();
        continue;
      }
      top.k++;
      if (state[l.to] === 1) back.add(l);
      else if (state[l.to] === 0) {
        state[l.to] = 1;
        stack.push({ v: l.to, k: 0 });
      }
    }
  }
  return links.filter((l) => !back.has(l));
}

/** Kahn's algorithm, always taking the lowest (rank, input order) ready box first. */
function topologicalOrder(count: number, preds: number[][], succs: number[][], items: Item[]): number[] {
  const indeg = preds.map((p) => p.length);
  const ready: number[] = [];
  for (let v = 0; v < count; v++) if (indeg[v] === 0) ready.push(v);
  const key = (v: number) => (items[v] as Item).rank * 1e6 + v;
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => key(a) - key(b));
    const v = ready.shift() as number;
    order.push(v);
    for (const s of succs[v] ?? []) {
      indeg[s] = (indeg[s] ?? 0) - 1;
      if (indeg[s] === 0) ready.push(s);
    }
  }
  return order;
}

/** Barycenter sweeps down and up; keeps the ordering with the fewest crossings seen. */
function orderRows(start: Item[][]): Item[][] {
  let rows = start.map((r) => [...r]);
  const pos = new Map<number, number>();
  const index = (rs: Item[][]) => {
    for (const r of rs) for (let k = 0; k < r.length; k++) pos.set((r[k] as Item).i, k);
  };
  index(rows);
  let best = rows.map((r) => [...r]);
  let bestCrossings = crossings(rows, pos);
  for (let sweep = 0; sweep < 8 && bestCrossings > 0; sweep++) {
    const down = sweep % 2 === 0;
    const range = down
      ? Array.from({ length: rows.length - 1 }, (_, k) => k + 1)
      : Array.from({ length: rows.length - 1 }, (_, k) => rows.length - 2 - k);
    for (const r of range) {
      const row = rows[r] as Item[];
      const keyed = row.map((it, k) => {
        const nb = down ? it.up : it.down;
        const key = nb.length === 0 ? k : nb.reduce((s, n) => s + (pos.get(n) ?? 0), 0) / nb.length;
        return { it, key, k };
      });
      keyed.sort((p, q) => p.key - q.key || p.k - q.k);
      rows[r] = keyed.map((e) => e.it);
      keyed.forEach((e, k) => {
        pos.set(e.it.i, k);
      });
    }
    const c = crossings(rows, pos);
    if (c < bestCrossings) {
      bestCrossings = c;
      best = rows.map((r) => [...r]);
    }
  }
  rows = best;
  index(rows);
  return rows;
}

/** Link crossings between adjacent rows. */
function crossings(rows: Item[][], pos: Map<number, number>): number {
  let total = 0;
  for (const row of rows) {
    const segs: [number, number][] = [];
    for (const it of row) for (const d of it.down) segs.push([pos.get(it.i) ?? 0, pos.get(d) ?? 0]);
    for (let a = 0; a < segs.length; a++) {
      for (let b = a + 1; b < segs.length; b++) {
        const s = segs[a] as [number, number];
        const t = segs[b] as [number, number];
        if ((s[0] - t[0]) * (s[1] - t[1]) < 0) total++;
      }
    }
  }
  return total;
}

/**
 * Horizontal positions: each row packed left to right, then passes down and up that move every box
 * toward the mean center of its neighbours in the previous row without changing the order or
 * letting boxes overlap.
 */
function placeX(rows: Item[][], items: Item[], sp: LayoutSpacing): void {
  for (const row of rows) {
    let x = 0;
    for (const it of row) {
      it.x = x;
      x += it.width + sp.gap;
    }
  }
  const center = (it: Item) => it.x + it.width / 2;
  const pass = (row: Item[], neighbours: (it: Item) => number[]) => {
    const desired = row.map((it) => {
      // a lane sits between its two ends; a box follows the boxes next to it before any lane
      const all = it.dummy ? [...it.up, ...it.down] : neighbours(it);
      const real = all.filter((n) => !(items[n] as Item).dummy);
      const nb = it.dummy || real.length === 0 ? all : real;
      if (nb.length === 0) return center(it);
      return nb.reduce((s, n) => s + center(items[n] as Item), 0) / nb.length;
    });
    // left to right: as close to the desired center as the previous box allows
    let right = Number.NEGATIVE_INFINITY;
    row.forEach((it, k) => {
      it.x = Math.max((desired[k] ?? 0) - it.width / 2, right + (k === 0 ? 0 : sp.gap));
      right = it.x + it.width;
    });
    // then right to left: pull back boxes pushed past their place, keeping the gaps
    let left = Number.POSITIVE_INFINITY;
    for (let k = row.length - 1; k >= 0; k--) {
      const it = row[k] as Item;
      const want = (desired[k] ?? 0) - it.width / 2;
      it.x = Math.min(Math.max(it.x, want), left - sp.gap - it.width);
      left = it.x;
    }
    // a row that ended up left of its place as a whole moves right (never into the previous box)
    const drift = row.reduce((s, it, k) => s + ((desired[k] ?? 0) - center(it)), 0) / Math.max(1, row.length);
    if (drift > 0) for (const it of row) it.x += drift;
  };
  for (let round = 0; round < 8; round++) {
    for (let r = 1; r < rows.length; r++) pass(rows[r] as Item[], (it) => it.up);
    for (let r = rows.length - 2; r >= 0; r--) pass(rows[r] as Item[], (it) => it.down);
  }
  for (let r = 1; r < rows.length; r++) pass(rows[r] as Item[], (it) => it.up);
}

/** Shifts everything so that the leftmost box or lane sits at the margin; whole pixels. */
function normalizeX(items: Item[], sp: LayoutSpacing): void {
  const minX = items.reduce((m, it) => Math.min(m, it.x), Number.POSITIVE_INFINITY);
  for (const it of items) it.x = Math.round(it.x - (Number.isFinite(minX) ? minX : 0) + sp.margin);
}

/**
 * Puts the lanes of each long link on one vertical line where the rows allow it: the line nearest
 * the middle of the link's two ends that fits between the neighbours of every lane of the link.
 */
function straightenLanes(
  rows: Item[][],
  items: Item[],
  chains: { chain: number[] }[],
  sp: LayoutSpacing,
): void {
  const rowOf = new Map<number, { row: Item[]; k: number }>();
  for (const row of rows) for (let k = 0; k < row.length; k++) rowOf.set((row[k] as Item).i, { row, k });
  for (const c of chains) {
    const lanes = c.chain.map((i) => items[i] as Item).filter((it) => it.dummy);
    if (lanes.length === 0) continue;
    const first = items[c.chain[0] as number] as Item;
    const last = items[c.chain[c.chain.length - 1] as number] as Item;
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    for (const lane of lanes) {
      const at = rowOf.get(lane.i);
      if (!at) continue;
      const prev = at.row[at.k - 1];
      const next = at.row[at.k + 1];
      if (prev) lo = Math.max(lo, prev.x + prev.width + sp.gap);
      if (next) hi = Math.min(hi, next.x - sp.gap - lane.width);
    }
    if (lo > hi) continue;
    const want = (first.x + first.width / 2 + last.x + last.width / 2) / 2 - sp.laneWidth / 2;
    const x = Math.round(Math.min(Math.max(want, lo), hi));
    for (const lane of lanes) lane.x = x;
  }
}

/** Offsets of the ports of each box along one edge: `a>b` is the link from a to b, `b<a` the same link seen from b. */
function portOffsets(items: Item[], side: "down" | "up"): Map<string, number> {
  const out = new Map<string, number>();
  for (const it of items) {
    if (it.dummy) continue;
    const nb = [...(side === "down" ? it.down : it.up)].sort(
      (a, b) => (items[a] as Item).x - (items[b] as Item).x || a - b,
    );
    const step = Math.min(18, it.width / (nb.length + 1));
    nb.forEach((n, k) => {
      const off = Math.round((k - (nb.length - 1) / 2) * step);
      out.set(side === "down" ? `${it.i}>${n}` : `${it.i}<${n}`, off);
    });
  }
  return out;
}

/** A smooth path through the points: vertical cubic curves between rows, straight lines through lanes. */
function curve(pts: [number, number][], rowGap: number): string {
  const first = pts[0];
  if (!first) return "";
  let d = `M${round1(first[0])} ${round1(first[1])}`;
  for (let k = 1; k < pts.length; k++) {
    const [x0, y0] = pts[k - 1] as [number, number];
    const [x1, y1] = pts[k] as [number, number];
    if (x0 === x1 || Math.abs(y1 - y0) < 1) {
      d += ` L${round1(x1)} ${round1(y1)}`;
      continue;
    }
    const bend = Math.min(Math.abs(y1 - y0), rowGap) / 2;
    const dir = y1 >= y0 ? 1 : -1;
    d += ` C${round1(x0)} ${round1(y0 + dir * bend)} ${round1(x1)} ${round1(y1 - dir * bend)} ${round1(x1)} ${round1(y1)}`;
  }
  return d;
}

function midpoint(pts: [number, number][]): [number, number] {
  if (pts.length === 0) return [0, 0];
  if (pts.length % 2 === 0) {
    const a = pts[pts.length / 2 - 1] as [number, number];
    const b = pts[pts.length / 2] as [number, number];
    return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  }
  return pts[(pts.length - 1) / 2] as [number, number];
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
