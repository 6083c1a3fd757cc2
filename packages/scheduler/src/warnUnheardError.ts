import createDebug from 'debug';

const debug = createDebug('dorsvr:scheduler:unheard');

/** Warnings per emitter before the rest go to `debug` only (a failing periodic task must not flood stderr). */
const MAX_WARNINGS_PER_EMITTER = 10;
const counts = new WeakMap<object, number>();

/**
 * Reports an error that an emitter would have delivered on its `'error'` event when nobody
 * listens there (eventemitter3, unlike Node's EventEmitter, drops it silently): as a
 * `process.emitWarning` of type `DorsvrWarning` and code `DORSVR_UNHEARD_ERROR`, whose `cause`
 * is the error, so it is never lost. After ten warnings from one emitter, one more says the rest
 * are only logged to the `dorsvr:scheduler:unheard` debug namespace. Add an `'error'` listener
 * to handle them yourself.
 *
 * @param emitter - who would have emitted the error (counts are kept per emitter)
 * @param what - what failed and that nobody listens, e.g. `"RTSPServer error (no 'error' listener)"`
 */
export function warnUnheardError(emitter: object, what: string, err: unknown): void {
  const n = (counts.get(emitter) ?? 0) + 1;
  counts.set(emitter, n);
  debug('%s: %O', what, err);
  if (n > MAX_WARNINGS_PER_EMITTER + 1) return;
  const text =
    n > MAX_WARNINGS_PER_EMITTER
      ? `${what}: more such errors; further ones are logged to DEBUG=dorsvr:scheduler:unheard only`
      : `${what}: ${err instanceof Error ? err.message : String(err)}`;
  const warning = new Error(text, { cause: err });
  warning.name = 'DorsvrWarning';
  (warning as Error & { code: string }).code = 'DORSVR_UNHEARD_ERROR';
  if (err instanceof Error && err.stack !== undefined) warning.stack = `${warning.name}: ${text}\n  caused by ${err.stack}`;
  process.emitWarning(warning);
}
