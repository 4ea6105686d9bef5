import { describe, expect, it } from 'vitest';
import { END_MARKER, keepChaosSection, START_MARKER, withSection } from '../../bench/chaos/section.js';

describe('the chaos section of bench/RESULTS.md', () => {
  it('is appended to a file without one, leaving the rest as it was', () => {
    const out = withSection('# Benchmarks\n\nfigures\n', 'chaos figures\n', 'faults');
    expect(out.startsWith('# Benchmarks\n\nfigures\n')).toBe(true);
    expect(out).toContain(`${START_MARKER}`);
    expect(out).toContain('<!-- chaos:faults -->\nchaos figures\n<!-- /chaos:faults -->');
    expect(out.trimEnd().endsWith(END_MARKER)).toBe(true);
  });

  it("replaces only its own run's part: a crash run keeps the chaos figures and the text around", () => {
    const first = withSection('# Benchmarks\n', 'chaos v1\n', 'faults');
    const second = withSection(`${first}after\n`, 'crash v1\n', 'crash');
    const third = withSection(second, 'chaos v2\n', 'faults');
    expect(third).toContain('chaos v2\n');
    expect(third).not.toContain('chaos v1');
    expect(third).toContain('crash v1\n');
    expect(third.endsWith('after\n')).toBe(true);
    expect(third.split(START_MARKER)).toHaveLength(2);
  });

  it("survives the bench's rewrite of the file", () => {
    const old = withSection('# Benchmarks\nold figures\n', 'chaos\n', 'faults');
    const rewritten = keepChaosSection(old, '# Benchmarks\nnew figures\n');
    expect(rewritten).toContain('new figures');
    expect(rewritten).not.toContain('old figures');
    expect(rewritten).toContain('<!-- chaos:faults -->\nchaos\n<!-- /chaos:faults -->');
    expect(keepChaosSection('# no section\n', 'fresh\n')).toBe('fresh\n');
  });
});
