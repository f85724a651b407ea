import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root, found from this compiled file (dist/src/paths.js), not from the working directory. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLE_CONTROLLER_FILE = join(PACKAGE_ROOT, 'examples', 'fleet-controller.yaml');
export const EXAMPLE_REVIEW_FILE = join(PACKAGE_ROOT, 'examples', 'admission-review.json');
