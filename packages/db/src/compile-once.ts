import type { Compilable, CompiledQuery } from 'kysely';

/**
 * A query built and compiled once, then run with new arguments: Kysely otherwise rebuilds and
 * recompiles the query tree on every call, which costs more than SQLite's own work on a hot path.
 * `build` runs once with a placeholder string per declared argument; at run time each placeholder
 * parameter takes its argument and every other parameter keeps its compiled value.
 */
export function compileOnce<A extends string[], R>(build: (...args: A) => Compilable<R>): (...args: A) => CompiledQuery<R> {
  const placeholders = Array.from({ length: build.length }, (_, i) => `\u0000arg${i}\u0000`);
  const compiled = build(...(placeholders as A)).compile();
  const slots = compiled.parameters.map((p) => placeholders.indexOf(p as string));
  if (compiled.sql.includes('\u0000') || placeholders.some((_, i) => !slots.includes(i))) {
    throw new Error('compileOnce: every argument must be bound as a query parameter');
  }
  return (...args) => ({ ...compiled, parameters: slots.map((slot, i) => (slot === -1 ? compiled.parameters[i] : args[slot])) });
}
