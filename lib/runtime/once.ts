/**
 * A value built on first use and kept for the container's life (clients, agents). A promise that
 * rejects is not kept: one failed cold-start read must not break the container until it is recycled.
 */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    if (value !== undefined) return value;
    const built = build();
    value = built;
    if (built instanceof Promise) {
      built.catch(() => {
        if (value === built) value = undefined;
      });
    }
    return built;
  };
}

/** What is built from the settings, built again only when they changed (a rotated secret). */
export function builtFromSettings<S, T>(load: () => Promise<S>, build: (settings: S) => T): () => Promise<T> {
  let last: { settings: S; value: T } | undefined;
  return async () => {
    const settings = await load();
    if (last?.settings !== settings) last = { settings, value: build(settings) };
    return last.value;
  };
}
