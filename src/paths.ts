import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root, found from this compiled file (dist/src/paths.js), not from the working directory. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLE_CONTROLLER_FILE = join(PACKAGE_ROOT, 'examples', 'fleet-controller.yaml');
export const EXAMPLE_REVIEW_FILE = join(PACKAGE_ROOT, 'examples', 'admission-review.json');

/** A file given by flag, read whole; an error names what it was for ("cannot read the key /x: ENOENT"). */
export async function readNamedFile(path: string, role: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`cannot read the ${role} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
