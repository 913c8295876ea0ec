/**
 * The dashboard's own styles, scoped to its shadow root. Colours are custom properties, so a
 * page can restyle the element from outside (`jobrail-dashboard { --jobrail-accent: … }`).
 * Both palettes meet WCAG AA contrast for text.
 */
export const DASHBOARD_CSS = `
:host {
  /* Each colour for the light and the dark scheme. The scheme is the element's \`color-scheme\`:
     \`light dark\` follows prefers-color-scheme; a page with its own theme switch sets
     \`jobrail-dashboard { color-scheme: dark }\` (or light) to force one. */
  --jobrail-bg: light-dark(#ffffff, #0d1117);
  --jobrail-fg: light-dark(#1f2328, #e6edf3);
  --jobrail-muted: light-dark(#59636e, #9198a1);
  --jobrail-border: light-dark(#d1d9e0, #3d444d);
  --jobrail-subtle: light-dark(#f6f8fa, #151b23);
  --jobrail-accent: light-dark(#0969da, #4493f8);
  --jobrail-focus: light-dark(#0969da, #4493f8);
  --jobrail-pending: light-dark(#0969da, #4493f8);
  --jobrail-processing: light-dark(#8250df, #ab7df8);
  --jobrail-completed: light-dark(#1a7f37, #3fb950);
  --jobrail-retrying: light-dark(#9a6700, #d29922);
  --jobrail-failed: light-dark(#d1242f, #f85149);
  --jobrail-danger-bg: light-dark(#ffebe9, #3c1618);
  --jobrail-radius: 6px;
  display: block;
  color-scheme: light dark;
  color: var(--jobrail-fg);
  background: var(--jobrail-bg);
  border: 1px solid var(--jobrail-border);
  border-radius: var(--jobrail-radius);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  contain: content;
  /* The layout follows the element's own width, not the viewport's: a narrow sidebar gets cards too. */
  container-type: inline-size;
}
/* Browsers without light-dark() (before 2024): the palette follows prefers-color-scheme only. */
@supports not (color: light-dark(#fff, #000)) {
  :host {
    --jobrail-bg: #ffffff;
    --jobrail-fg: #1f2328;
    --jobrail-muted: #59636e;
    --jobrail-border: #d1d9e0;
    --jobrail-subtle: #f6f8fa;
    --jobrail-accent: #0969da;
    --jobrail-focus: #0969da;
    --jobrail-pending: #0969da;
    --jobrail-processing: #8250df;
    --jobrail-completed: #1a7f37;
    --jobrail-retrying: #9a6700;
    --jobrail-failed: #d1242f;
    --jobrail-danger-bg: #ffebe9;
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --jobrail-bg: #0d1117;
      --jobrail-fg: #e6edf3;
      --jobrail-muted: #9198a1;
      --jobrail-border: #3d444d;
      --jobrail-subtle: #151b23;
      --jobrail-accent: #4493f8;
      --jobrail-focus: #4493f8;
      --jobrail-pending: #4493f8;
      --jobrail-processing: #ab7df8;
      --jobrail-completed: #3fb950;
      --jobrail-retrying: #d29922;
      --jobrail-failed: #f85149;
      --jobrail-danger-bg: #3c1618;
    }
  }
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root { padding: 12px 16px 16px; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; margin-bottom: 12px; }
h2 { font-size: 1.1em; margin: 0; font-weight: 600; }
h2 .queue-name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.run-state { display: inline-flex; align-items: center; gap: 6px; color: var(--jobrail-muted); margin: 0; }
.run-state::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--jobrail-muted); }
.run-state[data-run="running"]::before { background: var(--jobrail-completed); }
.run-state[data-run="paused"]::before, .run-state[data-run="offline"]::before { background: var(--jobrail-retrying); }
.run-state[data-run="none"]::before { background: transparent; box-shadow: inset 0 0 0 1.5px var(--jobrail-muted); }
.throughput { margin: 0 0 0 auto; color: var(--jobrail-muted); }
.throughput strong { color: var(--jobrail-fg); font-variant-numeric: tabular-nums; }
button, select, input {
  font: inherit; color: inherit; background: var(--jobrail-subtle);
  border: 1px solid var(--jobrail-border); border-radius: var(--jobrail-radius);
  padding: 4px 10px; min-height: 30px;
}
button { cursor: pointer; font-weight: 500; }
button:hover:not(:disabled) { border-color: var(--jobrail-muted); }
button:disabled { opacity: 0.55; cursor: default; }
button.danger { color: var(--jobrail-failed); }
button.primary { background: var(--jobrail-accent); border-color: var(--jobrail-accent); color: #fff; }
:is(button, select, input, [tabindex]):focus-visible { outline: 2px solid var(--jobrail-focus); outline-offset: 2px; }
.counts { display: grid; grid-template-columns: repeat(auto-fit, minmax(110px, 1fr)); gap: 8px; margin: 0 0 12px; padding: 0; list-style: none; }
.counts li { display: flex; }
.counts button { flex: 1; text-align: left; border-left: 4px solid var(--state-color); padding: 6px 10px; }
.counts button[aria-pressed="true"] { background: var(--jobrail-bg); border-color: var(--state-color); box-shadow: inset 0 0 0 1px var(--state-color); }
.counts .label { display: block; color: var(--jobrail-muted); font-size: 0.85em; }
.counts .value { display: block; font-size: 1.35em; font-weight: 600; font-variant-numeric: tabular-nums; }
[data-state="pending"] { --state-color: var(--jobrail-pending); }
[data-state="processing"] { --state-color: var(--jobrail-processing); }
[data-state="completed"] { --state-color: var(--jobrail-completed); }
[data-state="retrying"] { --state-color: var(--jobrail-retrying); }
[data-state="failed"] { --state-color: var(--jobrail-failed); }
.filters { display: flex; flex-wrap: wrap; align-items: end; gap: 8px 16px; margin-bottom: 8px; }
.filters .field { display: flex; flex-direction: column; gap: 2px; }
.filters label { font-size: 0.85em; color: var(--jobrail-muted); }
.filters select, .filters input { color: var(--jobrail-fg); font-size: 14px; }
.bulk { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 8px 0; padding: 8px 10px;
  border: 1px solid var(--jobrail-border); border-radius: var(--jobrail-radius); background: var(--jobrail-subtle); }
.bulk[data-view="failed"] { background: var(--jobrail-danger-bg); border-color: var(--jobrail-failed); }
.bulk p { margin: 0 auto 0 0; }
.table-wrap { overflow-x: auto; border: 1px solid var(--jobrail-border); border-radius: var(--jobrail-radius); }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: 6px 10px; color: var(--jobrail-muted); font-size: 0.9em; }
th, td { text-align: left; padding: 6px 10px; border-top: 1px solid var(--jobrail-border); vertical-align: top; }
thead th { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.03em; color: var(--jobrail-muted); background: var(--jobrail-subtle); white-space: nowrap; }
.name { font-weight: 600; white-space: nowrap; }
.name .id { display: block; font-weight: 400; font-size: 0.8em; color: var(--jobrail-muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.name .group { display: block; font-weight: 400; font-size: 0.8em; color: var(--jobrail-muted); overflow-wrap: anywhere; }
td.when .waits, td.when .expires { display: block; font-size: 0.85em; color: var(--jobrail-muted); }
td.when .expires { color: var(--jobrail-retrying); }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; border: 1px solid var(--state-color); color: var(--state-color); font-size: 0.85em; font-weight: 600; white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
td.when { white-space: nowrap; }
td.progress { white-space: nowrap; }
td.progress progress { width: 90px; height: 8px; vertical-align: middle; accent-color: var(--jobrail-accent); }
td.progress .pct { margin-left: 6px; font-size: 0.85em; color: var(--jobrail-muted); }
td.error { color: var(--jobrail-failed); max-width: 28em; word-break: break-word; }
td.data { max-width: 22em; word-break: break-word; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85em; color: var(--jobrail-muted); }
td.error[data-none], td.error[data-earlier] { color: var(--jobrail-muted); }
td.actions { white-space: nowrap; }
td.actions button { padding: 2px 8px; min-height: 26px; font-size: 0.9em; }
td.actions button + button { margin-left: 6px; }
.empty { margin: 0; padding: 16px; text-align: center; color: var(--jobrail-muted); }
nav.pager { display: flex; align-items: center; gap: 12px; margin-top: 8px; }
nav.pager .range { color: var(--jobrail-muted); font-variant-numeric: tabular-nums; }
.message { min-height: 1.45em; margin: 8px 0 0; color: var(--jobrail-muted); }
.message[data-kind="error"] { color: var(--jobrail-failed); }
.storage { margin: 4px 0 0; color: var(--jobrail-muted); font-size: 0.85em; }
.storage[data-persisted="false"]::before { content: "⚠ "; color: var(--jobrail-retrying); }
/* Narrow: every job is a card, no sideways scrolling. */
@container (max-width: 599px) {
  .root { padding: 10px 10px 12px; }
  .counts { grid-template-columns: repeat(auto-fit, minmax(96px, 1fr)); gap: 6px; }
  .counts button { padding: 4px 8px; }
  .table-wrap { overflow: visible; border: 0; border-radius: 0; }
  table, tbody { display: block; width: 100%; }
  thead { display: none; }
  caption { display: block; padding: 0 0 6px; }
  tbody tr {
    display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 2px 10px; align-items: start;
    grid-template-areas: "name state" "name actions" "when attempts" "priority priority" "progress progress" "error error" "data data";
    padding: 8px 10px; margin-bottom: 8px; border: 1px solid var(--jobrail-border);
    border-left: 4px solid var(--state-color); border-radius: var(--jobrail-radius);
  }
  th, td { display: block; padding: 0; border: 0; min-width: 0; }
  td[data-none], td.priority[data-zero] { display: none !important; }
  .name { grid-area: name; white-space: normal; overflow-wrap: anywhere; }
  td.state { grid-area: state; justify-self: end; }
  td.actions { grid-area: actions; justify-self: end; }
  td.when { grid-area: when; color: var(--jobrail-muted); font-size: 0.9em; }
  td.attempts { grid-area: attempts; color: var(--jobrail-muted); font-size: 0.9em; }
  td.attempts::before { content: "attempts "; }
  td.priority { grid-area: priority; text-align: left; color: var(--jobrail-muted); font-size: 0.9em; }
  td.priority::before { content: "priority "; }
  td.progress { grid-area: progress; }
  td.progress progress { width: calc(100% - 48px); }
  tr[data-state="completed"] td.progress { display: none; }
  td.error { grid-area: error; max-width: none; overflow-wrap: anywhere;
    display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; overflow: hidden; }
  td.data { grid-area: data; max-width: none; overflow-wrap: anywhere;
    display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; overflow: hidden; }
}
@media (prefers-reduced-motion: no-preference) {
  progress { transition: none; }
}
`;

let shared: CSSStyleSheet | undefined;

/** Adopts one constructed stylesheet shared by every dashboard (CSP-friendly), or falls back to a `<style>`. */
export function applyStyles(root: ShadowRoot): void {
  const canAdopt =
    typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype && 'adoptedStyleSheets' in root;
  if (canAdopt) {
    try {
      if (!shared) {
        shared = new CSSStyleSheet();
        shared.replaceSync(DASHBOARD_CSS);
      }
      root.adoptedStyleSheets = [shared];
      return;
    } catch {
      // fall through to a <style> element
    }
  }
  const style = document.createElement('style');
  style.textContent = DASHBOARD_CSS;
  root.append(style);
}
