// The status page's style sheet, served from the page's own origin (the CSP allows no inline style).
export const PAGE_STYLE = String.raw`:root {
  --bg: #f5f7fa; --panel: #ffffff; --ink: #1c2430; --muted: #5f6b7a; --line: #e3e8ef; --accent: #2458d6;
  --ok: #1d7f4e; --ok-bg: #e3f5ea; --bad: #b42318; --bad-bg: #fdeceb; --warn: #8a5a00; --warn-bg: #fff4d6;
  --info: #2458d6; --info-bg: #e7eefc; --idle: #4b5563; --idle-bg: #eef0f3;
  color-scheme: light;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.top { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 12px 24px; padding: 14px 28px; background: #14213d; color: #fff; }
.brand h1 { margin: 0; font-size: 20px; letter-spacing: .2px; }
.tagline { margin: 0; color: #b9c4d8; font-size: 12.5px; }
.key-form { display: flex; flex-wrap: wrap; align-items: center; justify-content: flex-end; gap: 8px; max-width: 620px; }
.key-form label { font-weight: 600; }
.key-form input { width: 260px; padding: 7px 10px; border: 1px solid #3a4a6b; border-radius: 6px; background: #0f1a31; color: #fff; font: inherit; }
.key-form .note { flex-basis: 100%; margin: 0; text-align: right; color: #b9c4d8; font-size: 12px; }
button { padding: 7px 14px; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
button.quiet { background: transparent; color: inherit; border-color: currentColor; font-weight: 500; }
.panel button.quiet { color: var(--accent); }
button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
main { max-width: 1280px; margin: 0 auto; padding: 22px 28px 40px; }
.notice { min-height: 1.45em; margin: 0 0 10px; color: var(--muted); }
.notice:empty { margin: 0; }
.notice.error { color: var(--bad); font-weight: 600; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 20px; box-shadow: 0 1px 2px rgba(16, 24, 40, .05); }
.panel-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin-bottom: 10px; }
.panel-head h2 { margin: 0; font-size: 16px; }
.actions { display: flex; gap: 8px; }
h3 { font-size: 14px; margin: 18px 0 8px; }
.table-wrap { overflow-x: auto; }
table.grid { width: 100%; border-collapse: collapse; }
.grid th, .grid td { text-align: left; vertical-align: top; padding: 9px 10px; border-bottom: 1px solid var(--line); }
.grid thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); font-weight: 600; background: #fafbfc; }
.grid tbody tr:hover { background: #f8faff; }
.grid tbody tr.selected { background: var(--info-bg); }
.grid tbody th { font-weight: 500; }
.link { padding: 0; border: 0; background: none; color: var(--accent); font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-weight: 600; text-decoration: underline; text-underline-offset: 2px; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.small { font-size: 12px; }
.muted { color: var(--muted); }
.num { font-variant-numeric: tabular-nums; }
.attempts { margin-left: 6px; font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--idle-bg); color: var(--idle); }
.status-succeeded, .webhook-delivered, .delivery-ok { background: var(--ok-bg); color: var(--ok); }
.status-failed, .webhook-failed, .delivery-failed { background: var(--bad-bg); color: var(--bad); }
.status-running, .status-submitting, .webhook-pending { background: var(--info-bg); color: var(--info); }
.status-queued { background: var(--warn-bg); color: var(--warn); }
.progress-cell { white-space: nowrap; }
progress.bar { width: 140px; height: 10px; vertical-align: middle; border: 0; border-radius: 999px; background: var(--idle-bg); overflow: hidden; appearance: none; }
progress.bar::-webkit-progress-bar { background: var(--idle-bg); border-radius: 999px; }
progress.bar::-webkit-progress-value { background: var(--info); border-radius: 999px; transition: width .6s ease; }
progress.bar::-moz-progress-bar { background: var(--info); border-radius: 999px; }
progress.bar-succeeded::-webkit-progress-value { background: var(--ok); }
progress.bar-succeeded::-moz-progress-bar { background: var(--ok); }
progress.bar-failed::-webkit-progress-value { background: var(--bad); }
progress.bar-failed::-moz-progress-bar { background: var(--bad); }
.percent { display: inline-block; min-width: 3.2em; margin-left: 8px; font-variant-numeric: tabular-nums; color: var(--muted); }
.error-cell { max-width: 360px; }
.error-head { display: flex; gap: 6px; align-items: baseline; }
.error-head code { color: var(--bad); font-weight: 700; }
.error-source { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.error-message { font-size: 12.5px; }
.hint { margin-top: 4px; padding-left: 8px; border-left: 3px solid #f0b429; font-size: 12.5px; color: #553c00; }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
.summary dt { color: var(--muted); }
.summary dd { margin: 0; overflow-wrap: anywhere; }
.empty { color: var(--muted); margin: 12px 0 0; }
.raw { margin-top: 14px; }
.raw summary { cursor: pointer; color: var(--accent); }
.raw pre { max-height: 320px; overflow: auto; padding: 12px; background: #0f1a31; color: #dfe7f5; border-radius: 8px; font-size: 12px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
`;
