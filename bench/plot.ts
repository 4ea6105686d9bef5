// bench/lag.svg, drawn by hand (no plotting dependency): notification lag and job queries per hour
// of job against job duration, for the poller and for fixed 10 s and 60 s polling, with the goals.
import type { LagRow } from './lag.js';

interface Series {
  name: string;
  color: string;
  dash?: string;
  points: [number, number][];
}

const W = 1000;
const H = 500;
const PANEL = { w: 380, h: 300, top: 84 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) for (const m of [1, 2, 5]) {
    const v = m * 10 ** e;
    if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
  }
  return ticks;
}

const label = (v: number) => (v >= 1 ? String(Math.round(v * 100) / 100) : String(Number(v.toPrecision(1))));

function panel(x0: number, title: string, yLabel: string, xs: number[], series: Series[], yMin: number, yMax: number): string {
  const xMin = Math.min(...xs) / 1.3;
  const xMax = Math.max(...xs) * 1.3;
  const px = (x: number) => x0 + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * PANEL.w;
  const py = (y: number) => PANEL.top + PANEL.h - ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * PANEL.h;
  const out: string[] = [];
  out.push(`<text x="${x0 + PANEL.w / 2}" y="${PANEL.top - 12}" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${x0}" y="${PANEL.top}" width="${PANEL.w}" height="${PANEL.h}" fill="none" stroke="#444"/>`);
  for (const t of logTicks(yMin, yMax)) {
    out.push(`<line x1="${x0}" x2="${x0 + PANEL.w}" y1="${py(t)}" y2="${py(t)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x0 - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${label(t)}</text>`);
  }
  for (const x of xs) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${PANEL.top}" y2="${PANEL.top + PANEL.h}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px(x)}" y="${PANEL.top + PANEL.h + 16}" text-anchor="middle" font-size="11">${x >= 60 ? `${x / 60} h` : `${x} min`}</text>`);
  }
  out.push(`<text x="${x0 + PANEL.w / 2}" y="${PANEL.top + PANEL.h + 36}" text-anchor="middle" font-size="12">job duration (log scale)</text>`);
  out.push(`<text transform="translate(${x0 - 46} ${PANEL.top + PANEL.h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    if (!s.dash) for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.2" fill="${s.color}"/>`);
  }
  return out.join('\n');
}

export function lagSvg(rows: readonly LagRow[], sweepPeriodMs: number, subtitle: string): string {
  const xs = rows.map((r) => r.nominalMin);
  const goalLag = (min: number) => Math.max(0.1 * min * 60, sweepPeriodMs / 1000);
  const lagSeries: Series[] = [
    { name: 'poller p90', color: '#c0392b', points: rows.map((r) => [r.nominalMin, r.lagP90Ms / 1000]) },
    { name: 'poller p50', color: '#e59866', points: rows.map((r) => [r.nominalMin, r.lagP50Ms / 1000]) },
    { name: 'fixed 10 s p90', color: '#2471a3', points: rows.map((r) => [r.nominalMin, r.fixed10.lagP90Ms / 1000]) },
    { name: 'fixed 60 s p90', color: '#27ae60', points: rows.map((r) => [r.nominalMin, r.fixed60.lagP90Ms / 1000]) },
    { name: 'goal', color: '#111', dash: '6 4', points: xs.map((x) => [x, goalLag(x)]) },
  ];
  const queriesSeries: Series[] = [
    { name: 'poller', color: '#c0392b', points: rows.map((r) => [r.nominalMin, r.queriesPerHour]) },
    { name: 'fixed 10 s', color: '#2471a3', points: rows.map((r) => [r.nominalMin, r.fixed10.queriesPerHour]) },
    { name: 'fixed 60 s', color: '#27ae60', points: rows.map((r) => [r.nominalMin, r.fixed60.queriesPerHour]) },
    { name: 'goal', color: '#111', dash: '6 4', points: xs.map((x) => [x, 20]) },
  ];
  const lagValues = lagSeries.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => Number.isFinite(y) && y > 0);
  const qValues = queriesSeries.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => Number.isFinite(y) && y > 0);
  const lagMin = 10 ** Math.floor(Math.log10(Math.min(...lagValues)));
  const lagMax = 10 ** Math.ceil(Math.log10(Math.max(...lagValues)));
  const qMin = 10 ** Math.floor(Math.log10(Math.min(...qValues)));
  const qMax = 10 ** Math.ceil(Math.log10(Math.max(...qValues)));
  const legendEntries: { name: string; color: string; dash?: string }[] = [
    { name: 'poller, p90 lag / queries per hour', color: '#c0392b' },
    { name: 'poller, p50 lag', color: '#e59866' },
    { name: 'fixed 10 s polling (p90 lag)', color: '#2471a3' },
    { name: 'fixed 60 s polling (p90 lag)', color: '#27ae60' },
    { name: 'goal (lag: 10 % of the duration, at least one sweep period; queries: 20 per hour of job)', color: '#111', dash: '6 4' },
  ];
  const legend = legendEntries
    .map((e, i) => {
      const x = 90 + (i % 3) * 300;
      const y = PANEL.top + PANEL.h + 66 + Math.floor(i / 3) * 20;
      return `<line x1="${x}" x2="${x + 26}" y1="${y - 4}" y2="${y - 4}" stroke="${e.color}" stroke-width="2.5"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/><text x="${x + 32}" y="${y}" font-size="12">${esc(e.name)}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">When a job's completion is noticed, and what it costs</text>
<text x="${W / 2}" y="46" text-anchor="middle" font-size="12" fill="#555">${esc(subtitle)}</text>
${panel(80, 'Notification lag (s after the job ended)', 'lag (s, log scale)', xs, lagSeries, lagMin, lagMax)}
${panel(590, 'Job queries per hour of job', 'queries per hour (log scale)', xs, queriesSeries, qMin, qMax)}
${legend}
</svg>
`;
}
