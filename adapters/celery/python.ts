import { fileURLToPath } from 'node:url';

/** The adapter's Python package (faultline_celery): on the path of its worker and its submitter. */
export const PYTHON_DIR = fileURLToPath(new URL('./python', import.meta.url));
