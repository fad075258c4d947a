/**
 * The rules across documents for storage: a mount's volume and a secret
 * reference name declared documents, a container mounts one thing per
 * target, and in-place secret updates only where a file can be swapped.
 * Whether secret and env files exist is the loader's business (`inputs.ts`).
 */
import type { AnyDocument, Document, InvalidDocument } from './model.js';
import { didYouMean } from './did-you-mean.js';
import { inSecretsDirectory, normalizeMount, normalizeSecretReference } from './volumes.js';

type Path = (string | number)[];
type Report = (document: Pick<AnyDocument, 'kind' | 'name' | 'positionOf'>, path: Path, detail: string) => void;

export function storageRules(documents: readonly (AnyDocument | InvalidDocument)[], report: Report): void {
  const declared = { Volume: new Set<string>(), Secret: new Set<string>() };
  const containers: Document<'Container'>[] = [];
  for (const entry of documents) {
    if (entry.kind === 'Volume' || entry.kind === 'Secret') declared[entry.kind].add(entry.name);
    const document = 'invalid' in entry ? entry.salvaged : entry;
    if (document?.kind === 'Container') containers.push(document);
  }
  for (const container of containers) {
    const targets = new Map<string, Path>();
    const claim = (target: string, path: Path) => {
      const first = targets.get(target);
      if (first) report(container, path, `target ${target} is already mounted by ${first.join('.')}`);
      else targets.set(target, path);
    };
    container.spec.mounts.forEach((entry, i) => {
      const mount = normalizeMount(entry);
      const at: Path = ['spec', 'mounts', i];
      claim(mount.target, at);
      if (mount.type !== 'volume' || declared.Volume.has(mount.source)) return;
      const path = typeof entry === 'string' ? at : [...at, 'source'];
      if (/[/\\]|^\.|^~/.test(mount.source)) {
        report(container, path, `a bind mount's source must be an absolute host path, got ${JSON.stringify(mount.source)}`);
      } else {
        report(container, path, `Volume/${mount.source} is not declared (declare a Volume, with \`external: true\` for one that exists already; a host path must be absolute)${didYouMean(mount.source, declared.Volume)}`);
      }
    });
    container.spec.secrets.forEach((entry, i) => {
      const reference = normalizeSecretReference(entry);
      const at: Path = typeof entry === 'string' ? ['spec', 'secrets', i] : ['spec', 'secrets', i, 'name'];
      claim(reference.target, ['spec', 'secrets', i]);
      if (!declared.Secret.has(reference.name)) report(container, at, `Secret/${reference.name} is not declared${didYouMean(reference.name, declared.Secret)}`);
      if (container.spec.secretsUpdate === 'InPlace' && !inSecretsDirectory(reference.target)) {
        report(
          container,
          ['spec', 'secrets', i, 'target'],
          `\`secretsUpdate: InPlace\` needs secrets directly in /run/secrets: a file mounted at ${reference.target} is bound by inode and cannot be replaced atomically`,
        );
      }
    });
  }
}
