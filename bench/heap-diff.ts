/**
 * `node --import tsx bench/heap-diff.ts OLD.heapsnapshot NEW.heapsnapshot [--top 25]`:
 * what a process retained between two V8 heap snapshots (those `npm run soak --
 * --heap-snapshot-every 4m` takes), as object counts and self sizes per type and
 * constructor name. A leak shows as a constructor whose count grows in every
 * snapshot; a heap that only churns shows none.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Group {
  count: number;
  bytes: number;
}

/** Objects by `type:name` (e.g. `object:Socket`, `closure:onread`, `string`), with their count and self size. */
function groupHeap(heap: HeapSnapshot): Map<string, Group> {
  const fields = heap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field)) as [number, number, number];
  const types = heap.snapshot.meta.node_types[0];
  const groups = new Map<string, Group>();
  for (let offset = 0; offset < heap.nodes.length; offset += width) {
    const type = types[heap.nodes[offset + typeAt] as number] ?? 'unknown';
    // Strings and numbers are named by their content: grouped by type alone.
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'code' || type === 'array';
    const key = named ? `${type}:${heap.strings[heap.nodes[offset + nameAt] as number]}` : type;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += heap.nodes[offset + sizeAt] as number;
    groups.set(key, group);
  }
  return groups;
}

async function load(path: string): Promise<Map<string, Group>> {
  return groupHeap(JSON.parse(await readFile(path, 'utf8')) as HeapSnapshot);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (positionals.length !== 2) throw new TypeError(`Expected two .heapsnapshot files, got ${positionals.length}`);
  const [before, after] = await Promise.all(positionals.map(load)) as [Map<string, Group>, Map<string, Group>];
  const total = (groups: Map<string, Group>) => [...groups.values()].reduce((sum, group) => ({ count: sum.count + group.count, bytes: sum.bytes + group.bytes }), { count: 0, bytes: 0 });
  const [totalBefore, totalAfter] = [total(before), total(after)];
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
  process.stdout.write(`objects ${totalBefore.count} → ${totalAfter.count}, self size ${mb(totalBefore.bytes)} → ${mb(totalAfter.bytes)} MB\n\n`);
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
    const old = before.get(key) ?? { count: 0, bytes: 0 };
    const now = after.get(key) ?? { count: 0, bytes: 0 };
    return { key, old, now, countDelta: now.count - old.count, bytesDelta: now.bytes - old.bytes };
  });
  rows.sort((a, b) => Math.abs(b.bytesDelta) - Math.abs(a.bytesDelta));
  process.stdout.write('Δ bytes\tΔ count\tcount\tMB\ttype:constructor\n');
  for (const row of rows.slice(0, Number(values.top))) {
    process.stdout.write(`${row.bytesDelta}\t${row.countDelta}\t${row.now.count}\t${mb(row.now.bytes)}\t${row.key}\n`);
  }
}

await main();
