import { AsyncLocalStorage } from 'node:async_hooks';

/** Structured JSON logs; the request id (or job id) of the current async context is attached. */
export const logContext = new AsyncLocalStorage<{ requestId?: string; runId?: string }>();

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: number = ORDER[(process.env.LOG_LEVEL as Level) ?? 'info'] ?? ORDER.info;
let silent = process.env.NODE_ENV === 'test' && process.env.LOG_TESTS !== 'on';

const SECRET_KEYS = /(secret|token|password|api[-_]?key|authorization|signature|private[-_]?key)/i;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object')
    return typeof value === 'bigint' ? value.toString() : value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (silent || ORDER[level] < threshold) return;
  const ctx = logContext.getStore();
  const line = JSON.stringify({
    ts: new Date().toISOString(),
    level,
    msg,
    ...(ctx?.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx?.runId ? { runId: ctx.runId } : {}),
    ...(fields ? (scrub(fields) as Record<string, unknown>) : {}),
  });
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line + '\n');
}

export const logger = {
  debug: (msg: string, f?: Record<string, unknown>) => write('debug', msg, f),
  info: (msg: string, f?: Record<string, unknown>) => write('info', msg, f),
  warn: (msg: string, f?: Record<string, unknown>) => write('warn', msg, f),
  error: (msg: string, f?: Record<string, unknown>) => write('error', msg, f),
  setLevel(level: Level) {
    threshold = ORDER[level];
  },
  setSilent(s: boolean) {
    silent = s;
  },
};

/** Adapter so Nest's own messages come out as the same JSON lines. */
export class NestJsonLogger {
  log(message: unknown, context?: string) {
    write('info', String(message), context ? { context } : undefined);
  }
  error(message: unknown, trace?: string, context?: string) {
    write('error', String(message), { context, trace: trace?.split('\n').slice(0, 3).join(' | ') });
  }
  warn(message: unknown, context?: string) {
    write('warn', String(message), context ? { context } : undefined);
  }
  debug(message: unknown, context?: string) {
    write('debug', String(message), context ? { context } : undefined);
  }
  verbose(message: unknown, context?: string) {
    write('debug', String(message), context ? { context } : undefined);
  }
}
