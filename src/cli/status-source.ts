/** Where `mooring status` reads a status: a file, or a running mooring's `/status` (`--listen`). */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';

/** How long a node's `/status` may take to answer. */
const FETCH_TIMEOUT_MS = 5000;

/** A status file's text, or a mooring's `/status` over HTTP when `source` is an http(s) URL. */
export async function readSource(source: string): Promise<string> {
  if (!/^https?:\/\//i.test(source)) return readFile(source, 'utf8');
  let response: Response;
  try {
    response = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    // fetch says only "fetch failed"; why (refused, unresolved, timed out) is in its cause.
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    throw new Error(errorMessage(cause), { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${source} answered ${response.status}: ${text.trim().slice(0, 200)}`);
  return text;
}
