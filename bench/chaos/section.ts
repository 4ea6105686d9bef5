// The chaos runs' section of bench/RESULTS.md, between marker comments, so `npm run chaos` and
// `npm run bench` each rewrite only their own part of the file.
export const START_MARKER = '<!-- chaos:start -->';
export const END_MARKER = '<!-- chaos:end -->';

/** Replaces what is between the markers (or appends the section) and leaves the rest of the file alone. */
export function withSection(file: string, section: string, key: string): string {
  const begin = file.indexOf(START_MARKER);
  const end = file.indexOf(END_MARKER);
  const previous = begin >= 0 && end > begin ? file.slice(begin + START_MARKER.length, end) : '';
  // Each mode (chaos, crash) keeps its own subsection, so one run does not erase the other's figures.
  const parts = new Map<string, string>();
  for (const m of previous.matchAll(/<!-- chaos:(\w+) -->\n([\s\S]*?)<!-- \/chaos:\1 -->/g)) parts.set(m[1] as string, m[2] as string);
  parts.set(key, section);
  const body = [
    '',
    '## Proven under faults',
    '',
    '`npm run chaos` (bench/chaos.ts): requests of every kind through the real intake, worker and poller with about 20 % of the',
    'IMS calls faulted (429/500/502/503/504 with and without the call taking effect, slow answers, answers and requests lost past',
    "the client's timeout); `npm run chaos -- --crash`: the whole `npm start` stack killed with SIGKILL twice mid-flight and",
    'restarted on the same data. Figures are read back from the API, the IMS simulator and a webhook receiver.',
    '',
    ...[...parts.entries()].sort().map(([k, v]) => `<!-- chaos:${k} -->\n${v}<!-- /chaos:${k} -->`),
    '',
  ].join('\n');
  const section2 = `${START_MARKER}${body}${END_MARKER}`;
  if (begin >= 0 && end > begin) return file.slice(0, begin) + section2 + file.slice(end + END_MARKER.length);
  return `${file.replace(/\s*$/, '\n')}\n${section2}\n`;
}

/** `report` (a fresh bench report) with the chaos section of `previous` carried over, if it had one. */
export function keepChaosSection(previous: string, report: string): string {
  const begin = previous.indexOf(START_MARKER);
  const end = previous.indexOf(END_MARKER);
  if (begin < 0 || end < begin) return report;
  return `${report.replace(/\s*$/, '\n')}\n${previous.slice(begin, end + END_MARKER.length)}\n`;
}
