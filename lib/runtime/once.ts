/** A value built on first use and kept for the container's life (clients, agents, settings). */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
