import winston from 'winston';
import type { Writable } from 'node:stream';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** JSON lines, or text for people. @default text on a terminal, JSON otherwise */
  format?: 'json' | 'text';
  /** @default process.stderr */
  stream?: Writable & { isTTY?: boolean };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const format = options.format ?? (stream.isTTY ? 'text' : 'json');
  const text = winston.format.printf(({ level, message, timestamp, ...meta }) => {
    const fields = Object.entries(meta)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${fields ? ` ${fields}` : ''}`;
  });
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      format === 'json' ? winston.format.json() : text,
    ),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A logger that drops everything, for tests and quiet commands. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/**
 * The log fields of a resource key (`Container/web`): its `kind` and `name`, as every log line about a
 * resource has them (`component` names a part of mooring, `pass` a pass, `round` a probe round).
 */
export function resourceFields(key: string): { kind: string; name: string } {
  const slash = key.indexOf('/');
  return { kind: key.slice(0, slash), name: key.slice(slash + 1) };
}
