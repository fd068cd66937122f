import { NODE_WIDTH } from "./node-box.js";

/** Colours of the verify outcomes: also used by the SVG links (as attributes, not styles). */
export const STATUS_COLORS = {
  fail: "#c62828",
  unknown: "#a15c00",
  pass: "#2e7d32",
  none: "#8a94a6",
} as const;

/**
 * The page's style sheet (one `<style>` element, allowed by its hash in the Content-Security-Policy).
 * System font stacks only: nothing is fetched.
 */
export const PAGE_CSS = `
:root{color-scheme:light;--fail:${STATUS_COLORS.fail};--unknown:${STATUS_COLORS.unknown};--pass:${STATUS_COLORS.pass};--line:${STATUS_COLORS.none};--ink:#1d2433;--muted:#5b6474;--paper:#ffffff;--panel:#f5f7fa}
*{box-sizing:border-box}
body{margin:0;padding:20px 24px 40px;font:14px/1.4 "DejaVu Sans","Liberation Sans",Arial,sans-serif;color:var(--ink);background:var(--paper)}
code,.v,.mono{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12px}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 8px}
.meta{color:var(--muted);margin:0 0 8px}
.summary{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}
.pill{border-radius:10px;padding:1px 9px;font-size:12px;font-weight:bold;border:1px solid currentColor}
.pill.fail{color:var(--fail);background:#fdecea}.pill.unknown{color:var(--unknown);background:#fff4e0}.pill.pass{color:var(--pass);background:#e9f5ea}.pill.info{color:var(--muted)}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;color:var(--muted);margin:4px 0 12px}
.legend .sw{display:inline-block;width:14px;height:10px;border:2px solid var(--line);border-radius:3px;margin-right:4px;vertical-align:middle}
.legend .sw.fail{border-color:var(--fail);background:#fdecea}.legend .sw.unknown{border-color:var(--unknown);border-style:dashed;background:#fff4e0}.legend .sw.pass{border-color:var(--pass)}.legend .sw.ref{border-style:dotted}
.graph-scroll{display:inline-block;min-width:100%;border:1px solid #dde2ea;border-radius:6px;background:var(--panel)}
.graph{position:relative}
.graph svg{position:absolute;left:0;top:0}
.node{position:absolute;width:${NODE_WIDTH}px;padding:10px 12px;background:#fff;border:2px solid var(--line);border-left-width:6px;border-radius:6px;overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.node header{display:flex;gap:6px;align-items:center;height:18px;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);white-space:nowrap;overflow:hidden}
.node header .system{margin-left:auto;text-transform:none;letter-spacing:0}
.node h3{margin:0;height:18px;font-size:14px;line-height:18px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.fact{display:flex;gap:6px;height:18px;line-height:18px;white-space:nowrap;overflow:hidden}
.fact .k{flex:none;width:84px;overflow:hidden;text-overflow:ellipsis;color:var(--muted);font-size:12px}
.fact .v{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis}
.fact.more{color:var(--muted);font-size:12px;font-style:italic}
.src{display:block;height:18px;line-height:18px;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#1a5fb4}
span.src{color:var(--muted)}
.badge{border-radius:8px;padding:0 6px;font-size:10px;font-weight:bold;text-transform:none;letter-spacing:0;border:1px solid currentColor}
.badge.state{color:var(--muted)}
.badge.verdict.fail{color:#fff;background:var(--fail);border-color:var(--fail)}
.badge.verdict.unknown{color:var(--unknown);background:#fff4e0}
.badge.verdict.pass{color:var(--pass)}
.kind-commit,.kind-ci-run{border-left-color:#57606a}
.kind-job,.kind-job-run,.kind-task-run,.kind-cluster{border-left-color:#e8710a}
.kind-mlflow-run,.kind-model-version,.kind-dataset{border-left-color:#1a73e8}
.kind-image,.kind-base-image,.kind-provenance{border-left-color:#8e24aa}
.kind-deployment,.kind-replica-set,.kind-pod,.kind-node{border-left-color:#00897b}
.kind-log-line{border-left-color:#5d4037}
.state-referenced{border-style:dotted dotted dotted solid;background:#fbfcfd}
.state-not-found,.state-unreachable{border-style:dashed dashed dashed solid;background:#f1f1f1}
.node.check-fail{border-color:var(--fail);border-width:3px 3px 3px 6px;background:#fdecea}
.node.check-unknown{border-color:var(--unknown);border-style:dashed dashed dashed solid;background:#fff4e0}
.node.check-pass{border-color:var(--pass)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e4e8ee}
th{color:var(--muted);font-weight:normal;font-size:12px}
td.status{font-weight:bold;white-space:nowrap}
tr.fail td.status{color:var(--fail)}tr.unknown td.status{color:var(--unknown)}tr.pass td.status{color:var(--pass)}
tr.fail{background:#fdecea}tr.unknown{background:#fff8eb}
.values{margin:0;padding:0;list-style:none}
.values li{margin:1px 0;overflow-wrap:anywhere}
.srcnote{color:var(--muted);font-size:12px}
.conflict{color:var(--fail);font-size:12px}
td.answer{overflow-wrap:anywhere}
footer{margin-top:28px;color:var(--muted);font-size:12px}
`;
