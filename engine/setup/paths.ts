// Where the project lives, seen from compiled code in .build/engine/setup/.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(resolve(dir, 'package.json')) && existsSync(resolve(dir, 'manifests'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(start, '../../..');
    dir = up;
  }
}

export const projectRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)));
