import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger as NestPinoLogger, type PinoLogger } from 'nestjs-pino';
import { pino, type DestinationStream } from 'pino';

/** The request id (or run id) of the current async context; every log line written inside it carries them. */
export const logContext = new AsyncLocalStorage<{ requestId?: string; runId?: string }>();

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Key names whose values never reach a log line, at any depth: API keys, vendor signatures and
 * channel tokens (as header names or as fields), cookies, passwords, private keys.
 */
const SECRET_KEYS =
  /(secret|token|password|passwd|api[-_]?key|authorization|signature|cookie|private[-_]?key|credential)/i;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { type: value.name, message: value.message, stack: value.stack?.split('\n').slice(0, 6).join(' | ') };
  if (value instanceof Date) return value;
  if (depth > 4) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

let silent = process.env.NODE_ENV === 'test' && process.env.LOG_TESTS !== 'on';

/**
 * Warnings and errors to stderr, the rest to stdout, as before pino. The streams are looked up per
 * line (not captured once) so a test can capture them; pino fills `lastLevel` for a stream that asks.
 */
const sink: DestinationStream & { lastLevel?: number } = {
  [Symbol.for('pino.metadata')]: true,
  write(this: { lastLevel?: number }, line: string) {
    if (silent) return;
    ((this.lastLevel ?? 30) >= 40 ? process.stderr : process.stdout).write(line);
  },
};

/**
 * The one pino logger of the process. Everything goes through it: the `logger` facade below, Nest's
 * own messages (NestJsonLogger) and the access line (http.access.ts), so redaction and the ids of
 * the current request and run apply to every line.
 */
export const rootLogger = pino(
  {
    level:
      process.env.LOG_LEVEL && ['debug', 'info', 'warn', 'error'].includes(process.env.LOG_LEVEL)
        ? process.env.LOG_LEVEL
        : 'info',
    messageKey: 'msg',
    timestamp: () => `,"ts":"${new Date().toISOString()}"`,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => scrub(obj) as Record<string, unknown>,
    },
    mixin: () => {
      const ctx = logContext.getStore();
      if (!ctx) return {};
      return {
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        ...(ctx.runId ? { runId: ctx.runId } : {}),
      };
    },
  },
  sink,
);

export const logger = {
  debug: (msg: string, f?: Record<string, unknown>) => rootLogger.debug(f ?? {}, msg),
  info: (msg: string, f?: Record<string, unknown>) => rootLogger.info(f ?? {}, msg),
  warn: (msg: string, f?: Record<string, unknown>) => rootLogger.warn(f ?? {}, msg),
  error: (msg: string, f?: Record<string, unknown>) => rootLogger.error(f ?? {}, msg),
  setLevel(level: Level) {
    rootLogger.level = level;
  },
  setSilent(s: boolean) {
    silent = s;
  },
};

/**
 * Nest's own messages (boot, routes, its exception handler) through nestjs-pino's adapter onto the
 * same pino logger: one JSON shape, redaction and ids included, with Nest's context as `context`.
 */
export class NestJsonLogger extends NestPinoLogger {
  constructor() {
    // The adapter only calls the level methods, which the root pino logger has: no per-request
    // child (the ids come from logContext), so LoggerModule's middleware is not needed.
    super(rootLogger as unknown as PinoLogger, {});
  }
}
