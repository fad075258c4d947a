/** The engine's streamed answers: newline-delimited JSON (pull progress, events) and multiplexed container output. */
import type { Readable } from 'node:stream';

/** The JSON objects of a newline-delimited stream, as they arrive. */
export async function* jsonLines(stream: Readable): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield JSON.parse(line);
    }
  }
  if (pending.trim() !== '') yield JSON.parse(pending);
}

/** Destroys `stream` with `error()` once it stays quiet for `ms`. */
export function quietDeadline(stream: Readable, ms: number, error: () => Error): void {
  const timer = setTimeout(() => stream.destroy(error()), ms);
  const restart = () => timer.refresh();
  stream.on('data', restart);
  stream.once('close', () => {
    clearTimeout(timer);
    stream.off('data', restart);
  });
}

/**
 * Splits the frames of a container's output (no TTY): an 8-byte header (stream,
 * 3 zero bytes, big-endian length), then the payload.
 */
export function demuxLogs(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer.readUInt8(offset);
    const length = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + length);
    (stream === 2 ? err : out).push(payload);
    offset += 8 + length;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
