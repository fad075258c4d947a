/**
 * How mooring reads a file it is pointed at (a manifest, a secret, an env
 * file): a file that is not a regular one, or is larger than MAX_FILE_BYTES,
 * is refused without being read whole, so a FIFO or a device named by mistake
 * never blocks a load or fills the memory.
 */
import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { MAX_FILE_BYTES } from './limits.js';

/** The file's bytes, or why it was refused. The file system's own errors (ENOENT, EACCES) reject. */
export async function readBounded(path: string, fs: Pick<typeof nodeFs, 'open'> = nodeFs): Promise<{ bytes: Buffer } | { refused: string }> {
  // Non-blocking, so that opening a FIFO does not wait for a writer; it is then refused as not a regular file.
  const handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { refused: 'not a regular file' };
    const tooLarge = (size: number) => ({ refused: `file too large: ${size} bytes, the limit is ${MAX_FILE_BYTES} bytes (1 MiB)` });
    if (info.size > MAX_FILE_BYTES) return tooLarge(info.size);
    // Sized by `stat` plus a byte, not by the limit: a megabyte zeroed per file per resync was most of a load's
    // memory churn. The file may have grown since `stat`; the buffer then grows, to one byte past the limit at most.
    let buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = Buffer.concat([buffer], Math.min(2 * buffer.length, MAX_FILE_BYTES + 1));
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_FILE_BYTES) return tooLarge(length);
    }
    return { bytes: buffer.subarray(0, length) };
  } finally {
    await handle.close();
  }
}
